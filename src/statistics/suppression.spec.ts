import fc from 'fast-check';
import { suppress } from './suppression';

/** The published view of a table: null where suppressed. */
function publish(rows: number[][], s: ReturnType<typeof suppress>) {
  const cols = rows[0]?.length ?? 0;
  return {
    cells: rows.map((r, i) => r.map((v, c) => (s.suppressed[i]![c] ? null : v))),
    totals: Array.from({ length: cols }, (_, c) => (s.totalSuppressed[c] ? null : rows.reduce((t, r) => t + r[c]!, 0))),
  };
}

/**
 * What a reader can work out about one suppressed cell from the published view alone: every value
 * it can take such that the other suppressed cells of its column can still be filled with whole
 * numbers of at least their known lower bound adding up to the published total: 1 (zeros are
 * always published, so a hidden cell is never 0), except 0 for a following column's cell whose
 * source cell is hidden too (the reader cannot tell whether it was hidden for itself). Computed by brute force (reachable sums), not by the rule the module uses.
 * Returns the feasible values up to `cap` (a column without a published total is unbounded).
 */
function feasibleValues(view: ReturnType<typeof publish>, row: number, col: number, cap: number, least: (r: number) => number): number[] {
  const column = view.cells.map((r) => r[col]!);
  const total = view.totals[col];
  if (total === null || total === undefined) return Array.from({ length: cap + 1 }, (_, i) => i).filter((v) => v >= least(row));
  const rest = total - column.reduce<number>((s, v) => s + (v ?? 0), 0);
  // reachable: the sums the other hidden cells (each at least its lower bound) can add up to.
  let reachable = new Set<number>([0]);
  column.forEach((v, r) => {
    if (v !== null || r === row) return;
    const next = new Set<number>();
    for (const s of reachable) for (let x = least(r); s + x <= rest; x++) next.add(s + x);
    reachable = next;
  });
  const values: number[] = [];
  for (let v = least(row); v <= rest; v++) if (reachable.has(rest - v)) values.push(v);
  return values;
}

/** Small counts, many of them under the minimum, some zeros, a few large. */
const count = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 60 }) });
const table = fc
  .tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5 }))
  .chain(([rows, cols]) => fc.array(fc.array(count, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }));

describe('small-cell suppression', () => {
  it('suppresses cells and totals under the minimum, publishes zeros and large cells', () => {
    const rows = [
      [12, 0],
      [3, 20],
      [15, 25],
    ];
    const s = suppress(rows, { min: 10 });
    // 3 is primary; the smallest other non-zero cell of its column (12) is its complement.
    expect(s.primary).toEqual([
      [false, false],
      [true, false],
      [false, false],
    ]);
    expect(s.suppressed).toEqual([
      [true, false],
      [true, false],
      [false, false],
    ]);
    expect(s.totalSuppressed).toEqual([false, false]);
  });

  it('does not let two suppressed ones be worked out from the total (each hidden cell is known to be at least 1)', () => {
    const rows = [[1], [1], [40]];
    const s = suppress(rows, { min: 10 });
    // 1 + 1 = 42 − 40 would give both away: the 40 is suppressed as well.
    expect(s.suppressed.map((r) => r[0])).toEqual([true, true, true]);
  });

  it('suppresses the total when no cell is left to hide a lone small cell', () => {
    const rows = [[4], [0], [0]];
    const s = suppress(rows, { min: 3 });
    expect(s.suppressed.map((r) => r[0])).toEqual([false, false, false]);
    const t = suppress([[4], [2], [0]], { min: 3 });
    expect(t.suppressed.map((r) => r[0])).toEqual([true, true, false]);
    expect(t.totalSuppressed).toEqual([false]);
    const u = suppress([[2], [0], [0]], { min: 3 });
    expect(u.suppressed.map((r) => r[0])).toEqual([true, false, false]);
    expect(u.totalSuppressed).toEqual([true]);
  });

  it('hides a following column (a share) with the column it is derived from, totals included', () => {
    // column 1 (overdue) is published as a share of column 0 (requests)
    const rows = [
      [5, 0],
      [30, 12],
      [40, 20],
    ];
    const s = suppress(rows, { min: 10, follows: { 1: 0 } });
    expect(s.suppressed[0]).toEqual([true, true]);
    // column 0: 5 and its complement 30; column 1 then has 0 and 12 hidden (sum 12 > 2): enough.
    expect(s.suppressed.map((r) => r[0])).toEqual([true, true, false]);
    expect(s.suppressed.map((r) => r[1])).toEqual([true, true, false]);
    const t = suppress([[5, 2]], { min: 10, follows: { 1: 0 } });
    expect(t.totalSuppressed).toEqual([true, true]);
  });

  it('suppresses nothing with a minimum of 1', () => {
    const s = suppress([[1, 2], [0, 1]], { min: 1 });
    expect(s.suppressed.flat().some(Boolean)).toBe(false);
  });

  it('refuses malformed input', () => {
    expect(() => suppress([[1]], { min: 0 })).toThrow(RangeError);
    expect(() => suppress([[1, 2], [3]], { min: 10 })).toThrow(RangeError);
    expect(() => suppress([[-1]], { min: 10 })).toThrow(RangeError);
  });

  it('property: nothing under the minimum is published, and no suppressed cell can be worked out from the published totals and cells', () => {
    // Random tables, minimums and links between columns (chains, mutual pairs, none).
    const tableWithLinks = table.chain((rows) => {
      const cols = rows[0]!.length;
      const link = cols >= 2 ? fc.option(fc.integer({ min: 0, max: cols - 1 }), { nil: undefined }) : fc.constant(undefined);
      return fc.tuple(fc.constant(rows), fc.array(link, { minLength: cols, maxLength: cols }));
    });
    fc.assert(
      fc.property(tableWithLinks, fc.integer({ min: 1, max: 15 }), ([rows, links], min) => {
        const cols = rows[0]!.length;
        const follows: Record<number, number> = {};
        links.forEach((d, c) => d !== undefined && d !== c && (follows[c] = d));
        const s = suppress(rows, { min, follows });
        const view = publish(rows, s);
        // 1. no published cell or total under the minimum (zero excepted)
        for (const r of view.cells) for (const v of r) if (v !== null) expect(v === 0 || v >= min).toBe(true);
        for (const t of view.totals) if (t !== null) expect(t === 0 || t >= min).toBe(true);
        // What a reader knows of a hidden cell: at least 1, or at least 0 where its source is hidden too.
        const least = (r: number, c: number) => (follows[c] !== undefined && view.cells[r]![follows[c]!] === null ? 0 : 1);
        // zeros are never suppressed (unless hidden with their source): the lower bounds a reader assumes are true
        rows.forEach((r, i) => r.forEach((v, c) => s.suppressed[i]![c] && expect(v).toBeGreaterThanOrEqual(least(i, c))));
        // 2. every suppressed cell has at least two values consistent with what is published
        rows.forEach((r, i) =>
          r.forEach((v, c) => {
            if (!s.suppressed[i]![c]) return;
            const values = feasibleValues(view, i, c, 2, (row) => least(row, c));
            if (view.totals[c] !== null) expect(values).toContain(v);
            expect(values.length).toBeGreaterThanOrEqual(2);
          }),
        );
        // 3. a following column is hidden wherever its source is, totals included
        for (const [c, d] of Object.entries(follows)) {
          rows.forEach((_, i) => s.suppressed[i]![d] && expect(s.suppressed[i]![Number(c)]).toBe(true));
          if (s.totalSuppressed[d]) expect(s.totalSuppressed[Number(c)]).toBe(true);
        }
        expect(cols).toBe(view.totals.length);
      }),
      { numRuns: 500 },
    );
  });
});

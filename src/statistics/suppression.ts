/**
 * Small-cell suppression for published statistics (統計の秘匿処理). Pure: counts in, a mask out.
 *
 * The table is groups (rows) × count measures (columns), with one published total per column (the
 * sum over the groups). The measures are not parts of one whole (approvals and rejections do not
 * add up to requests), so rows have no total.
 *
 * Rules:
 * - Zero is published. A true zero names nobody (usual practice in official statistics, where 0 or
 *   "-" is printed and only 1 … min−1 is suppressed), and zeros are never chosen as complementary
 *   cells. A reader therefore knows that every suppressed cell is at least 1, and the complementary
 *   suppression below accounts for that.
 * - Primary suppression: every cell and total with 1 ≤ value < min.
 * - Complementary suppression: in a column whose total is published, the suppressed cells must not
 *   be derivable from the total and the published cells. With k suppressed cells summing to S (=
 *   total − published cells), each known to be at least its lower bound b (1; 0 for a cell hidden
 *   only because its source is, see `follows`) with L = Σ b, cell i can be anything in
 *   [b_i, S − (L − b_i)], so it is undetermined exactly when k ≥ 2 and S > L. While that fails, the smallest published
 *   non-zero cell of the column is suppressed too; when none is left, the total is suppressed.
 * - `follows`: a column whose cells are published only through a derived measure of another (the
 *   overdue count is published as a share of requests, so it can be recomputed from the share and
 *   the request count): its cell (and its total) is suppressed whenever the other column's is. The rules
 *   run again until nothing changes.
 */

export interface SuppressionResult {
  /** suppressed[row][col]: the cell is not published. */
  suppressed: boolean[][];
  /** totalSuppressed[col]: the column total is not published. */
  totalSuppressed: boolean[];
  /** primary[row][col]: suppressed for its own value (for tests and explanations; never published). */
  primary: boolean[][];
}

export interface SuppressionOptions {
  /** Smallest count that may be published (statisticsMinCell); 1 suppresses nothing. */
  min: number;
  /** follows[c] = d: a cell of column c is suppressed whenever the cell of column d in its row is. */
  follows?: Record<number, number>;
}

function isSmall(v: number, min: number): boolean {
  return v >= 1 && v < min;
}

/** Which cells of `rows` (rows × columns, non-negative integers) to suppress. */
export function suppress(rows: readonly (readonly number[])[], opts: SuppressionOptions): SuppressionResult {
  const { min } = opts;
  if (!Number.isInteger(min) || min < 1) throw new RangeError('min must be a positive integer');
  const cols = rows[0]?.length ?? 0;
  for (const r of rows) {
    if (r.length !== cols) throw new RangeError('every row needs the same number of columns');
    for (const v of r) if (!Number.isInteger(v) || v < 0) throw new RangeError('cells must be non-negative integers');
  }
  const totals = Array.from({ length: cols }, (_, c) => rows.reduce((s, r) => s + r[c]!, 0));
  const primary = rows.map((r) => r.map((v) => isSmall(v, min)));
  const suppressed = primary.map((r) => [...r]);
  const totalSuppressed = totals.map((t) => isSmall(t, min));
  const follows = Object.entries(opts.follows ?? {}).map(([c, d]) => [Number(c), d] as const);
  const followed = new Map(follows);

  let changed = true;
  while (changed) {
    changed = false;
    for (const [c, d] of follows) {
      if (totalSuppressed[d] && !totalSuppressed[c]) {
        totalSuppressed[c] = true;
        changed = true;
      }
      rows.forEach((_, r) => {
        if (suppressed[r]![d] && !suppressed[r]![c]) {
          suppressed[r]![c] = true;
          changed = true;
        }
      });
    }
    for (let c = 0; c < cols; c++) {
      if (totalSuppressed[c]) continue;
      for (;;) {
        const hidden = rows.map((_, r) => r).filter((r) => suppressed[r]![c]);
        if (hidden.length === 0) break;
        const sum = hidden.reduce((s, r) => s + rows[r]![c]!, 0);
        // The least a reader knows each hidden cell to be: 1, or 0 for a cell hidden with its source.
        const source = followed.get(c);
        const least = hidden.reduce((s, r) => s + (source !== undefined && suppressed[r]![source] ? 0 : 1), 0);
        if (hidden.length >= 2 && sum > least) break;
        // The smallest published non-zero cell: it hides the least information needlessly.
        let pick = -1;
        rows.forEach((row, r) => {
          if (!suppressed[r]![c] && row[c]! > 0 && (pick < 0 || row[c]! < rows[pick]![c]!)) pick = r;
        });
        changed = true;
        if (pick < 0) {
          totalSuppressed[c] = true;
          break;
        }
        suppressed[pick]![c] = true;
      }
    }
  }
  return { suppressed, totalSuppressed, primary };
}

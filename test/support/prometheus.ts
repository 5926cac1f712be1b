/** One sample of the Prometheus text exposition format (0.0.4). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"\s*(,|$)/y;

/**
 * A strict reader of the text format: every line is a `# HELP`, a `# TYPE` or a sample whose name,
 * labels and value are well-formed, and every sample belongs to a declared metric family.
 */
export function parsePrometheusText(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const where = `line ${i + 1}: ${line.slice(0, 120)}`;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m || !NAME.test(m[2])) throw new Error(`bad comment, ${where}`);
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3])) throw new Error(`bad type, ${where}`);
        types.set(m[2], m[3]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`bad sample, ${where}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < m[3].length) {
        const start = LABEL.lastIndex;
        const l = LABEL.exec(m[3]);
        if (!l || l.index !== start) throw new Error(`bad labels, ${where}`);
        labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
        if (l[3] === '') break;
      }
    }
    // As Prometheus reads them (Go's ParseFloat): Inf and NaN in any case.
    const isNaNToken = /^nan$/i.test(m[4]);
    const value = /^\+?inf$/i.test(m[4]) ? Infinity : /^-inf$/i.test(m[4]) ? -Infinity : isNaNToken ? NaN : Number(m[4]);
    if (Number.isNaN(value) && !isNaNToken) throw new Error(`bad value, ${where}`);
    const family = m[1].replace(/_(bucket|sum|count|total|created)$/, '');
    if (!types.has(m[1]) && !types.has(family)) throw new Error(`sample without a TYPE, ${where}`);
    samples.push({ name: m[1], labels, value });
  }
  return { samples, types };
}

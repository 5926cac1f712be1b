import type { StatisticsTable } from '../statistics/statistics.service';
import { COUNT_MEASURES } from '../statistics/statistics.service';
import type { Lang } from './i18n';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const WIDTH = 320;
const LABEL_H = 18;
const BAR_H = 11;
const BAR_GAP = 2;
const GROUP_GAP = 12;
const LEFT = 4;
/** Room right of the longest bar for its number. */
const VALUE_ROOM = 34;

/**
 * A horizontal bar chart of the table's counts, drawn on the server as inline SVG: for every group
 * with anything to show, one bar per count measure. No script and no style attribute (the CSP
 * allows neither): geometry is in SVG attributes, colours come from classes in statistics.css. A
 * suppressed cell gets no bar, only the mark `x`. `title` and `desc` name it; the table beside it is
 * the accessible alternative with the same numbers.
 */
export function statisticsChart(t: StatisticsTable, lang: Lang, text: { title: string; desc: string; measures: string[]; suppressedMark: string }): string {
  const groups = t.groups.filter((g) => COUNT_MEASURES.some((m) => g[m] !== 0));
  const max = Math.max(1, ...groups.flatMap((g) => COUNT_MEASURES.map((m) => g[m] ?? 0)));
  const scale = (WIDTH - LEFT - VALUE_ROOM) / max;
  const block = LABEL_H + COUNT_MEASURES.length * (BAR_H + BAR_GAP) + GROUP_GAP;
  const legendH = 22;
  const height = legendH + groups.length * block;
  const parts: string[] = [];
  // legend
  COUNT_MEASURES.forEach((m, i) => {
    const x = LEFT + i * 79;
    parts.push(`<rect class="bar bar-${m}" x="${x}" y="4" width="10" height="10"/>`);
    parts.push(`<text class="legend" x="${x + 14}" y="13">${esc(text.measures[i]!)}</text>`);
  });
  groups.forEach((g, gi) => {
    const top = legendH + gi * block;
    parts.push(`<text class="group" x="${LEFT}" y="${top + 13}">${esc(g.label[lang])}</text>`);
    COUNT_MEASURES.forEach((m, i) => {
      const y = top + LABEL_H + i * (BAR_H + BAR_GAP);
      const v = g[m];
      if (v === null) {
        parts.push(`<text class="value suppressed" x="${LEFT}" y="${y + BAR_H - 1}">${esc(text.suppressedMark)}</text>`);
        return;
      }
      const w = Math.round(v * scale * 10) / 10;
      if (w > 0) parts.push(`<rect class="bar bar-${m}" x="${LEFT}" y="${y}" width="${w}" height="${BAR_H}"/>`);
      parts.push(`<text class="value" x="${LEFT + w + 4}" y="${y + BAR_H - 1}">${v}</text>`);
    });
  });
  return (
    `<svg class="stats-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="stats-chart-title stats-chart-desc">` +
    `<title id="stats-chart-title">${esc(text.title)}</title><desc id="stats-chart-desc">${esc(text.desc)}</desc>` +
    `<g aria-hidden="true">${parts.join('')}</g></svg>`
  );
}

import holidayJp from '@holiday-jp/holiday_jp';

/**
 * Japanese business days (開庁日), counted in Japan time: not a Saturday or Sunday, not a national
 * holiday (国民の祝日, substitute and citizens' holidays included, from `@holiday-jp/holiday_jp`),
 * and not 12/29–1/3 (年末年始, closed under the Act on Holidays of Administrative Organs).
 */
const HOLIDAYS: Readonly<Record<string, unknown>> = holidayJp.holidays;
const JST_OFFSET_MS = 9 * 3_600_000;
const DAY_MS = 86_400_000;

/** The Japan calendar date of an instant, as `YYYY-MM-DD`. */
export function tokyoDate(at: Date): string {
  return new Date(at.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant a Japan calendar day starts (00:00 JST). */
function startOfTokyoDay(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - JST_OFFSET_MS);
}

function nextDate(date: string, days = 1): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function isBusinessDay(date: string): boolean {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const md = date.slice(5);
  if (md >= '12-29' || md <= '01-03') return false;
  return HOLIDAYS[date] === undefined;
}

/** The n-th business day after the Japan date of `from` (the day of `from` itself never counts). */
export function addBusinessDays(from: Date, n: number): string {
  let date = tokyoDate(from);
  for (let counted = 0; counted < n; ) {
    date = nextDate(date);
    if (isBusinessDay(date)) counted += 1;
  }
  return date;
}

/** The business day before a date. */
export function previousBusinessDay(date: string): string {
  let d = nextDate(date, -1);
  while (!isBusinessDay(d)) d = nextDate(d, -1);
  return d;
}

export interface Deadline {
  /** The end of the last business day allowed (23:59:59.999 JST). */
  dueAt: Date;
  /** From here on the holder is told the deadline is near: the start of the business day before the due day. */
  dueSoonAt: Date;
}

/** A decision deadline `businessDays` business days after `from`. */
export function deadlineAfter(from: Date, businessDays: number): Deadline {
  const dueDate = addBusinessDays(from, businessDays);
  return {
    dueAt: new Date(startOfTokyoDay(nextDate(dueDate)).getTime() - 1),
    dueSoonAt: startOfTokyoDay(previousBusinessDay(dueDate)),
  };
}

/** When a deadline becomes "due soon", from its `dueAt`. */
export function dueSoonAt(dueAt: Date): Date {
  return startOfTokyoDay(previousBusinessDay(tokyoDate(dueAt)));
}

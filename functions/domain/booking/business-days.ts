import { addDays, weekdayOf, type LocalDate } from './time-zones.ts';

/**
 * Business days are Monday to Friday of the partner's local calendar. Public holidays are not
 * known to the system: a partner who is off on a weekday blocks it in their calendar instead.
 */
export function isBusinessDay(date: LocalDate): boolean {
  const weekday = weekdayOf(date);
  return weekday !== 'sat' && weekday !== 'sun';
}

/** The n-th business day after `date` (n = 0 gives `date` itself, business day or not). */
export function addBusinessDays(date: LocalDate, businessDays: number): LocalDate {
  let day: LocalDate = { year: date.year, month: date.month, day: date.day };
  for (let left = businessDays; left > 0; ) {
    day = addDays(day, 1);
    if (isBusinessDay(day)) left -= 1;
  }
  return day;
}

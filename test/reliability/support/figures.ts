import { writeFigures } from './log-capture.ts';

/** One line per item for the report: `reliability | <item> | cases 300, failures 0, ...`. */
export function reportFigures(item: string, figures: Readonly<Record<string, number | string>>): void {
  const text = Object.entries(figures)
    .map(([name, value]) => `${name} ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(1) : value}`)
    .join(', ');
  writeFigures(`reliability | ${item} | ${text}`);
}

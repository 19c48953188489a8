/**
 * The Companies page's pictures, drawn by Chart.js: a company's sync
 * activity over 30 days and its receivables and payables. Only the parts
 * the two bar charts use are registered, so the bundle carries no other
 * chart type. The configurations are built here, apart from the canvas, so
 * tests can check what is drawn.
 *
 * Chart.js is the largest part of the UI's code and only this page draws
 * with it, so it is loaded when a chart is first drawn rather than with the
 * first screen.
 */
import type { Chart, ChartConfiguration } from 'chart.js';

import { parseDecimal, subtract, toText } from './decimal';
import { formatMoney } from './overview';
import { knownLocale, userLocale } from './format';
import type { CompanyCharts, OpenTotal, SyncActivityDay } from './ipc/commands';

let loading: Promise<typeof Chart> | null = null;

/** Chart.js with the bar chart's parts registered, loaded once. */
export function loadChart(): Promise<typeof Chart> {
  loading ??= import('chart.js').then(
    ({ BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip }) => {
      Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);
      return Chart;
    },
  );
  return loading;
}

/** The theme's colours a chart is drawn with, read from app.css's variables. */
export interface ChartPalette {
  text: string;
  muted: string;
  grid: string;
  pulled: string;
  pushed: string;
  conflicts: string;
  open: string;
  overdue: string;
}

/** The palette of the theme in force (light or dark, followed or pinned). */
export function chartPalette(root: Element = document.documentElement): ChartPalette {
  const style = getComputedStyle(root);
  const color = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: color('--text', '#1b2029'),
    muted: color('--text-muted', '#545d6b'),
    grid: color('--border', '#dadee5'),
    pulled: color('--accent', '#16697a'),
    pushed: color('--ok-text', '#1d6b38'),
    conflicts: color('--warn-text', '#8a5300'),
    open: color('--accent', '#16697a'),
    overdue: color('--danger-text', '#a1262b'),
  };
}

/** "Mar 4" in the locale (a chart's day label). The date is a calendar day, read as UTC. */
export function dayLabel(date: string, wanted: string | undefined = userLocale()): string {
  const moment = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(moment.getTime())) return date;
  return moment.toLocaleDateString(knownLocale(wanted), { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** A whole count in the locale's digits and grouping. */
function count(value: number, locale: string | undefined): string {
  return new Intl.NumberFormat(knownLocale(locale)).format(value);
}

/** The activity's totals over the days. */
export function activityTotals(days: SyncActivityDay[]) {
  return days.reduce(
    (total, day) => ({
      syncs: total.syncs + day.syncs,
      failed: total.failed + day.failedSyncs,
      pulled: total.pulled + day.pulled,
      pushed: total.pushed + day.pushed,
      conflicts: total.conflicts + day.conflicts,
    }),
    { syncs: 0, failed: 0, pulled: 0, pushed: 0, conflicts: 0 },
  );
}

/** The activity chart in one sentence, for screen readers. */
export function activitySummary(charts: CompanyCharts, locale: string | undefined = userLocale()): string {
  const total = activityTotals(charts.days);
  if (total.syncs === 0) return 'No syncs in the last 30 days.';
  const failed = total.failed > 0 ? ` (${count(total.failed, locale)} failed)` : '';
  return (
    `${count(total.syncs, locale)} ${total.syncs === 1 ? 'sync' : 'syncs'}${failed} in the last 30 days: ` +
    `${count(total.pulled, locale)} changes pulled, ${count(total.pushed, locale)} pushed, ` +
    `${count(total.conflicts, locale)} ${total.conflicts === 1 ? 'conflict' : 'conflicts'}.`
  );
}

/** One side of the balances chart in words: "3 open, USD 1,250.00; 1 overdue, USD 200.00". */
export function balanceWords(open: OpenTotal, currency: string | null, locale: string | undefined = userLocale()): string {
  if (open.count === 0) return 'none open';
  return (
    `${count(open.count, locale)} open, ${formatMoney(open.total, currency, locale)}; ` +
    `${count(open.overdueCount, locale)} overdue, ${formatMoney(open.overdueTotal, currency, locale)}`
  );
}

/** The balances chart in one sentence, for screen readers. */
export function balancesSummary(charts: CompanyCharts, locale: string | undefined = userLocale()): string {
  return (
    `Receivables: ${balanceWords(charts.openInvoices, charts.homeCurrency, locale)}. ` +
    `Payables: ${balanceWords(charts.unpaidBills, charts.homeCurrency, locale)}.`
  );
}

/** The activity chart: pulled, pushed and conflicts per day, 30 days. */
export function activityConfig(
  charts: CompanyCharts,
  palette: ChartPalette,
  locale: string | undefined = userLocale(),
): ChartConfiguration<'bar', number[], string> {
  const series = (label: string, color: string, pick: (day: SyncActivityDay) => number) => ({
    label,
    data: charts.days.map(pick),
    backgroundColor: color,
    borderRadius: 2,
    maxBarThickness: 10,
  });
  return {
    type: 'bar',
    data: {
      labels: charts.days.map((day) => dayLabel(day.date, locale)),
      datasets: [
        series('Pulled', palette.pulled, (day) => day.pulled),
        series('Pushed', palette.pushed, (day) => day.pushed),
        series('Conflicts', palette.conflicts, (day) => day.conflicts),
      ],
    },
    options: {
      ...common(palette, locale),
      scales: {
        x: {
          ticks: { color: palette.muted, maxRotation: 0, autoSkip: true, maxTicksLimit: 6 },
          grid: { display: false },
          border: { color: palette.grid },
        },
        y: {
          beginAtZero: true,
          ticks: { color: palette.muted, precision: 0, maxTicksLimit: 4 },
          grid: { color: palette.grid },
          border: { display: false },
        },
      },
      plugins: {
        ...common(palette, locale).plugins,
        tooltip: {
          callbacks: {
            // The tooltip names the day in full and says how many syncs ran.
            title: (items) => {
              const day = charts.days[items[0]?.dataIndex ?? -1];
              if (day === undefined) return '';
              const failed = day.failedSyncs > 0 ? `, ${count(day.failedSyncs, locale)} failed` : '';
              return `${dayLabel(day.date, locale)}: ${count(day.syncs, locale)} ${day.syncs === 1 ? 'sync' : 'syncs'}${failed}`;
            },
          },
        },
      },
    },
  };
}

/**
 * The balances chart: receivables and payables, each a bar of what is not
 * yet due and what is overdue. Bar lengths are the only place the amounts
 * become floating-point numbers (a canvas needs them); every amount a person
 * reads, in the tooltip and the table, is the exact decimal text.
 */
export function balancesConfig(
  charts: CompanyCharts,
  palette: ChartPalette,
  locale: string | undefined = userLocale(),
): ChartConfiguration<'bar', number[], string> {
  const sides = [charts.openInvoices, charts.unpaidBills];
  const notDue = sides.map((side) => subtractText(side.total, side.overdueTotal));
  const overdue = sides.map((side) => side.overdueTotal);
  const exact = [notDue, overdue];
  return {
    type: 'bar',
    data: {
      labels: ['Receivables', 'Payables'],
      datasets: [
        { label: 'Not yet due', data: notDue.map(Number), backgroundColor: palette.open, borderRadius: 2, maxBarThickness: 22 },
        { label: 'Overdue', data: overdue.map(Number), backgroundColor: palette.overdue, borderRadius: 2, maxBarThickness: 22 },
      ],
    },
    options: {
      ...common(palette, locale),
      indexAxis: 'y',
      scales: {
        x: {
          stacked: true,
          beginAtZero: true,
          ticks: {
            color: palette.muted,
            maxTicksLimit: 4,
            callback: (value) => new Intl.NumberFormat(knownLocale(locale), { notation: 'compact' }).format(Number(value)),
          },
          grid: { color: palette.grid },
          border: { display: false },
        },
        y: { stacked: true, ticks: { color: palette.text }, grid: { display: false }, border: { color: palette.grid } },
      },
      plugins: {
        ...common(palette, locale).plugins,
        tooltip: {
          callbacks: {
            label: (item) =>
              `${item.dataset.label ?? ''}: ${formatMoney(exact[item.datasetIndex]?.[item.dataIndex] ?? '0', charts.homeCurrency, locale)}`,
          },
        },
      },
    },
  };
}

function common(palette: ChartPalette, locale: string | undefined) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    locale: knownLocale(locale),
    plugins: {
      legend: {
        position: 'bottom' as const,
        labels: { color: palette.text, boxWidth: 10, boxHeight: 10, padding: 8 },
      },
    },
  };
}

/** `total − overdue` of two exact decimal texts, exactly. */
export function subtractText(total: string, overdue: string): string {
  const a = parseDecimal(total);
  const b = parseDecimal(overdue);
  return a === null || b === null ? total : toText(subtract(a, b));
}

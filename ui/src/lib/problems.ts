/**
 * The words of a problem's button. Which button a problem gets is decided
 * in Rust (app-core's Problem); the UI only names it and carries it out.
 */
import type { ProblemAction } from './ipc/commands';

const ACTION_LABELS: Record<ProblemAction, string> = {
  reconnect: 'Reconnect',
  open_record: 'Open record',
  choose_active_account: 'Choose an active account',
  retry: 'Retry',
};

/** The label of the button that fixes a problem. */
export function actionLabel(action: ProblemAction): string {
  return ACTION_LABELS[action];
}

import type { AlertKind } from '@exchanger/identity';
import type { OrderStatusChanged, OrderView } from '../../web/index.js';

/** Everything the bot says, in English (plain text: no markup to escape). */
export const en = {
  help: [
    'Exchanger bot. Commands:',
    '/start CODE – link your Exchanger account (get the code in the web app)',
    '/rates [FROM TO] – current exchange rates',
    '/orders – your latest orders',
    '/order FROM TO AMOUNT – place an order (or /order alone to be asked step by step)',
    '/cancel ID – cancel a pending order (/cancel alone leaves a dialogue)',
    '/notify on|off – order status notifications',
    '/unlink – unlink this Telegram account',
    '/help – this text',
  ].join('\n'),
  welcome:
    'Welcome! Link your Exchanger account: open the web app, ask for a Telegram link code and send /start CODE here.',
  confirmLink: (maskedEmail: string) =>
    `Link this Telegram account to the Exchanger account ${maskedEmail}? Confirm only if this is your own account: its orders and notifications will be here.`,
  linked: 'Your Telegram account is now linked. Send /help to see what I can do.',
  linkDropped: 'Not linked.',
  linkExpired: 'This link request is no longer open. Send /start CODE again.',
  badCode: 'This link code is unknown, used or expired. Ask for a new one in the web app.',
  notLinked:
    'This Telegram account is not linked to an Exchanger account. Get a link code in the web app and send /start CODE.',
  unlinked: 'Unlinked. This Telegram account no longer acts for your Exchanger account.',
  forbidden: (permission: string) => `You do not have the permission ${permission} here.`,
  usage: {
    rates: 'Usage: /rates or /rates FROM TO, e.g. /rates USD EUR',
    order: 'Usage: /order FROM TO AMOUNT, e.g. /order USD EUR 100',
    cancel: 'Usage: /cancel ID (the order id from /orders)',
    notify: 'Usage: /notify on or /notify off',
  },
  noRates: 'No rates are available right now.',
  rates: (rates: ReadonlyArray<{ from: string; to: string; rate: string }>) =>
    ['Current rates:', ...rates.map((rate) => `${rate.from}/${rate.to}: ${rate.rate}`)].join('\n'),
  noOrders: 'You have no orders yet. Place one with /order.',
  orders: (orders: readonly OrderView[]) =>
    [
      'Your latest orders:',
      ...orders.map(
        (order) =>
          `${order.id}\n  ${order.amount} ${order.fromCurrency} → ${order.counterAmount} ${order.toCurrency}: ${order.status}`,
      ),
    ].join('\n'),
  askPair: 'Which currencies? Send FROM TO, e.g. USD EUR. (/cancel to stop)',
  askAmount: (from: string) => `How much ${from}? Send the amount, e.g. 100.50. (/cancel to stop)`,
  dialogueLeft: 'OK, stopped.',
  confirm: (quote: Quote) =>
    `Exchange ${quote.amount} ${quote.from} for ${quote.counterAmount} ${quote.to} at ${quote.rate}?`,
  confirmButton: 'Confirm',
  cancelButton: 'Cancel',
  placed: (order: OrderView) =>
    `Order placed: ${order.amount} ${order.fromCurrency} → ${order.counterAmount} ${order.toCurrency} at ${order.exchangeRate}.\nID: ${order.id}\nStatus: ${order.status}`,
  alreadyPlaced: 'This order is already placed.',
  droppedQuote: 'Not placed.',
  expired: 'This confirmation has expired. Send /order again.',
  rateChanged: (quote: Quote, currentRate: string) =>
    `The rate changed: ${quote.from}/${quote.to} is now ${currentRate}, not ${quote.rate}. Nothing was placed; send /order again.`,
  cancelled: (order: OrderView) => `Order ${order.id} cancelled.`,
  refused: (message: string) => `Not done: ${message}`,
  emailNotVerified:
    'Not done: placing orders needs a verified email address. Open the link in the verification mail we sent you, or ask for a new one on the website.',
  badAmount: 'Not done: the amount must be a positive number like 100.50',
  amountTooLarge: 'Not done: the amount is too large',
  notifications: (on: boolean): string =>
    on ? 'Notifications are on.' : 'Notifications are off. /notify on to turn them back on.',
  alert: (kind: AlertKind, at: Date): string =>
    `Security alert (${at.toISOString().slice(0, 16).replace('T', ' ')} UTC): ${
      {
        'new-sign-in': 'your account was signed into from a new device or address.',
        'password-changed': 'your password was changed.',
        'telegram-linked': 'this Telegram account was linked to your account.',
        'account-disabled': 'your account was disabled by staff.',
        'sessions-ended': 'staff ended sessions of your account.',
      }[kind]
    } If this was not you, reset your password at once.`,
  status: (event: OrderStatusChanged) => {
    const what = `${event.amount} ${event.fromCurrency} → ${event.counterAmount} ${event.toCurrency}`;
    const said: Record<string, string> = {
      paid: 'is paid',
      completed: 'is completed: the exchanged amount is on its way',
      cancelled: 'is cancelled',
      failed: 'failed: the payment did not go through',
    };
    return `Order ${event.orderId} (${what}) ${said[event.status] ?? `is ${event.status}`}.`;
  },
};

/** What the bot says, in one language: every catalogue has each text. */
export type BotTexts = typeof en;

/** An order the user is asked to confirm. */
export interface Quote {
  readonly from: string;
  readonly to: string;
  readonly amount: string;
  readonly rate: string;
  readonly counterAmount: string;
}

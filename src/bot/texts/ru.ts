import type { AlertKind } from '@exchanger/identity';
import type { OrderStatusChanged, OrderView } from '../../web/index.js';
import type { BotTexts, Quote } from './en.js';

const STATUS: Record<string, string> = {
  pending: 'ожидает оплаты',
  paid: 'оплачена',
  completed: 'выполнена',
  cancelled: 'отменена',
  failed: 'не выполнена',
};

/** Everything the bot says, in Russian. */
export const ru: BotTexts = {
  help: [
    'Бот Exchanger. Команды:',
    '/start КОД – привязать аккаунт Exchanger (код выдаёт веб-приложение)',
    '/rates [ИЗ В] – текущие курсы',
    '/orders – ваши последние заявки',
    '/order ИЗ В СУММА – создать заявку (или просто /order, и бот спросит по шагам)',
    '/cancel ID – отменить заявку, ожидающую оплаты (/cancel без ID выходит из диалога)',
    '/notify on|off – уведомления о статусе заявок',
    '/unlink – отвязать этот аккаунт Telegram',
    '/help – эта справка',
  ].join('\n'),
  welcome:
    'Добро пожаловать! Привяжите аккаунт Exchanger: откройте веб-приложение, запросите код для Telegram и отправьте сюда /start КОД.',
  confirmLink: (maskedEmail: string) =>
    `Привязать этот аккаунт Telegram к аккаунту Exchanger ${maskedEmail}? Подтверждайте, только если это ваш аккаунт: его заявки и уведомления будут приходить сюда.`,
  linked: 'Аккаунт Telegram привязан. Отправьте /help, чтобы узнать, что я умею.',
  linkDropped: 'Не привязан.',
  linkExpired: 'Этот запрос на привязку больше не действует. Отправьте /start КОД ещё раз.',
  badCode: 'Код привязки неизвестен, уже использован или истёк. Запросите новый в веб-приложении.',
  notLinked:
    'Этот аккаунт Telegram не привязан к аккаунту Exchanger. Получите код в веб-приложении и отправьте /start КОД.',
  unlinked:
    'Отвязано. Этот аккаунт Telegram больше не действует от имени вашего аккаунта Exchanger.',
  forbidden: (permission: string) => `У вас нет права ${permission} здесь.`,
  usage: {
    rates: 'Формат: /rates или /rates ИЗ В, например /rates USD EUR',
    order: 'Формат: /order ИЗ В СУММА, например /order USD EUR 100',
    cancel: 'Формат: /cancel ID (номер заявки из /orders)',
    notify: 'Формат: /notify on или /notify off',
  },
  noRates: 'Сейчас нет доступных курсов.',
  rates: (rates: ReadonlyArray<{ from: string; to: string; rate: string }>) =>
    ['Текущие курсы:', ...rates.map((rate) => `${rate.from}/${rate.to}: ${rate.rate}`)].join('\n'),
  noOrders: 'У вас пока нет заявок. Создайте её командой /order.',
  orders: (orders: readonly OrderView[]) =>
    [
      'Ваши последние заявки:',
      ...orders.map(
        (order) =>
          `${order.id}\n  ${order.amount} ${order.fromCurrency} → ${order.counterAmount} ${order.toCurrency}: ${STATUS[order.status] ?? order.status}`,
      ),
    ].join('\n'),
  askPair: 'Какие валюты? Отправьте ИЗ В, например USD EUR. (/cancel — выйти)',
  askAmount: (from: string) =>
    `Сколько ${from}? Отправьте сумму, например 100.50. (/cancel — выйти)`,
  dialogueLeft: 'Хорошо, остановились.',
  confirm: (quote: Quote) =>
    `Обменять ${quote.amount} ${quote.from} на ${quote.counterAmount} ${quote.to} по курсу ${quote.rate}?`,
  confirmButton: 'Подтвердить',
  cancelButton: 'Отмена',
  placed: (order: OrderView) =>
    `Заявка создана: ${order.amount} ${order.fromCurrency} → ${order.counterAmount} ${order.toCurrency} по курсу ${order.exchangeRate}.\nID: ${order.id}\nСтатус: ${STATUS[order.status] ?? order.status}`,
  alreadyPlaced: 'Эта заявка уже создана.',
  droppedQuote: 'Не создана.',
  expired: 'Срок подтверждения истёк. Отправьте /order ещё раз.',
  rateChanged: (quote: Quote, currentRate: string) =>
    `Курс изменился: ${quote.from}/${quote.to} теперь ${currentRate}, а не ${quote.rate}. Заявка не создана; отправьте /order ещё раз.`,
  cancelled: (order: OrderView) => `Заявка ${order.id} отменена.`,
  refused: (message: string) => `Не выполнено: ${message}`,
  emailNotVerified:
    'Не выполнено: для заказов нужен подтверждённый адрес почты. Откройте ссылку из письма с подтверждением или запросите новое письмо на сайте.',
  badAmount: 'Не выполнено: сумма должна быть положительным числом, например 100.50',
  amountTooLarge: 'Не выполнено: сумма слишком велика',
  notifications: (on: boolean): string =>
    on ? 'Уведомления включены.' : 'Уведомления выключены. /notify on — включить снова.',
  alert: (kind: AlertKind, at: Date): string =>
    `Уведомление безопасности (${at.toISOString().slice(0, 16).replace('T', ' ')} UTC): ${
      {
        'new-sign-in': 'в ваш аккаунт вошли с нового устройства или адреса.',
        'password-changed': 'пароль вашего аккаунта изменён.',
        'telegram-linked': 'этот аккаунт Telegram привязан к вашему аккаунту.',
        'account-disabled': 'ваш аккаунт отключён сотрудником.',
        'sessions-ended': 'сотрудник завершил сеансы вашего аккаунта.',
      }[kind]
    } Если это были не вы, немедленно сбросьте пароль.`,
  status: (event: OrderStatusChanged) => {
    const what = `${event.amount} ${event.fromCurrency} → ${event.counterAmount} ${event.toCurrency}`;
    const said: Record<string, string> = {
      paid: 'оплачена',
      completed: 'выполнена: сумма обмена отправлена',
      cancelled: 'отменена',
      failed: 'не выполнена: оплата не прошла',
    };
    return `Заявка ${event.orderId} (${what}) ${said[event.status] ?? STATUS[event.status] ?? event.status}.`;
  },
};

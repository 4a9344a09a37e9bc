import type { Envelope } from './mail-transport.js';

/** What a mail says: its subject, its paragraphs, and the link it carries, if any. */
export interface Wording {
  readonly subject: string;
  readonly paragraphs: readonly string[];
  readonly link?: { readonly label: string; readonly url: string };
}

/** What a security alert tells of. */
export type AlertKind =
  'new-sign-in' | 'password-changed' | 'telegram-linked' | 'account-disabled' | 'sessions-ended';

/** Where and when, as the alert says it. */
export interface AlertFacts {
  readonly at: string;
  readonly address: string | null;
  readonly device: string | null;
}

/** Every mail the identity module sends, in one language. */
interface MailCatalogue {
  passwordReset(url: string, minutes: number): Wording;
  passwordChanged(): Wording;
  emailVerification(url: string, hours: number): Wording;
  alert(kind: AlertKind, facts: AlertFacts): Wording;
}

const EN_ALERTS: Record<AlertKind, string> = {
  'new-sign-in': 'Your account was signed into from a device or address not seen before.',
  'password-changed': 'The password of your account was changed.',
  'telegram-linked': 'A Telegram account was linked to your account.',
  'account-disabled': 'Your account was disabled by staff.',
  'sessions-ended': 'Staff ended sessions of your account.',
};

const RU_ALERTS: Record<AlertKind, string> = {
  'new-sign-in': 'В ваш аккаунт вошли с нового устройства или адреса.',
  'password-changed': 'Пароль вашего аккаунта изменён.',
  'telegram-linked': 'К вашему аккаунту привязан аккаунт Telegram.',
  'account-disabled': 'Ваш аккаунт отключён сотрудником.',
  'sessions-ended': 'Сотрудник завершил сеансы вашего аккаунта.',
};

const en: MailCatalogue = {
  passwordReset: (url, minutes) => ({
    subject: 'Reset your password',
    paragraphs: [
      'Someone asked to reset the password of your account. If it was you, open the link below and choose a new password.',
      `The link works once, for ${minutes} minutes. If it was not you, ignore this mail: your password stays as it is.`,
    ],
    link: { label: 'Choose a new password', url },
  }),
  passwordChanged: () => ({
    subject: 'Your password was changed',
    paragraphs: [
      'The password of your account was just changed, and every session of the account was ended.',
      'If you did not do this, reset your password at once and contact support.',
    ],
  }),
  emailVerification: (url, hours) => ({
    subject: 'Confirm your email address',
    paragraphs: [
      'Please confirm that this address belongs to your account by opening the link below.',
      `The link works once, for ${hours} hours.`,
    ],
    link: { label: 'Confirm my address', url },
  }),
  alert: (kind, facts) => ({
    subject: 'Security alert',
    paragraphs: [
      EN_ALERTS[kind],
      `When: ${facts.at}. Address: ${facts.address ?? 'unknown'}. Device: ${facts.device ?? 'unknown'}.`,
      'If this was not you, reset your password at once. You can turn these alerts off in your profile.',
    ],
  }),
};

const ru: MailCatalogue = {
  passwordReset: (url, minutes) => ({
    subject: 'Сброс пароля',
    paragraphs: [
      'Кто-то запросил сброс пароля вашего аккаунта. Если это были вы, откройте ссылку ниже и задайте новый пароль.',
      `Ссылка действует один раз, ${minutes} минут. Если это были не вы, просто проигнорируйте письмо: пароль не изменится.`,
    ],
    link: { label: 'Задать новый пароль', url },
  }),
  passwordChanged: () => ({
    subject: 'Ваш пароль изменён',
    paragraphs: [
      'Пароль вашего аккаунта только что изменён, все сеансы аккаунта завершены.',
      'Если это сделали не вы, немедленно сбросьте пароль и обратитесь в поддержку.',
    ],
  }),
  emailVerification: (url, hours) => ({
    subject: 'Подтвердите адрес электронной почты',
    paragraphs: [
      'Подтвердите, что этот адрес принадлежит вашему аккаунту: откройте ссылку ниже.',
      `Ссылка действует один раз, ${hours} ч.`,
    ],
    link: { label: 'Подтвердить адрес', url },
  }),
  alert: (kind, facts) => ({
    subject: 'Уведомление безопасности',
    paragraphs: [
      RU_ALERTS[kind],
      `Когда: ${facts.at}. Адрес: ${facts.address ?? 'неизвестен'}. Устройство: ${facts.device ?? 'неизвестно'}.`,
      'Если это были не вы, немедленно сбросьте пароль. Эти уведомления можно отключить в профиле.',
    ],
  }),
};

const CATALOGUES: Readonly<Record<string, MailCatalogue>> = { en, ru };

/** The catalogue of a BCP 47 language (`ru-RU` → Russian); English when there is none. */
export function mailTexts(language: string | null | undefined): MailCatalogue {
  return CATALOGUES[language?.split('-')[0]?.toLowerCase() ?? ''] ?? en;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The mail to `to`, as plain text and as HTML (the same words; the link spelled out in both). */
export function envelopeOf(to: string, wording: Wording): Envelope {
  const { subject, paragraphs, link } = wording;
  const text = [...paragraphs, ...(link === undefined ? [] : [`${link.label}: ${link.url}`])].join(
    '\n\n',
  );
  const html = [
    ...paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    ...(link === undefined
      ? []
      : [
          `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`,
          `<p>${escapeHtml(link.url)}</p>`,
        ]),
  ].join('\n');
  return { to, subject, text, html: `<!doctype html>\n<html><body>\n${html}\n</body></html>` };
}

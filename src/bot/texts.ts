import { DEFAULT_LANGUAGE, type Language, spokenLanguage } from '../common/languages.js';
import { type BotTexts, en } from './texts/en.js';
import { ru } from './texts/ru.js';

export type { BotTexts, Quote } from './texts/en.js';

/** One catalogue per language the product speaks. */
const CATALOGUES: Record<Language, BotTexts> = { en, ru };

/** The English catalogue: the reference every other one follows. */
export const Texts = en;

/**
 * The language to answer in: the user's profile, else the Telegram user's own
 * (`language_code`), else the default — each only when the product speaks it.
 */
export function replyLanguage(
  profileLanguage: string | null | undefined,
  telegramLanguage?: string | null,
): Language {
  return spokenLanguage(profileLanguage) ?? spokenLanguage(telegramLanguage) ?? DEFAULT_LANGUAGE;
}

export function textsIn(language: Language): BotTexts {
  return CATALOGUES[language];
}

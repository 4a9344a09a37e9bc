/** The languages the product speaks (its texts exist in each); the first is the default. */
export const LANGUAGES = ['en', 'ru'] as const;

export type Language = (typeof LANGUAGES)[number];

export const DEFAULT_LANGUAGE: Language = 'en';

/** The product's language for a BCP 47 tag (`ru-RU` → `ru`), or undefined when it has none. */
export function spokenLanguage(tag: string | null | undefined): Language | undefined {
  const primary = tag?.split('-')[0]?.toLowerCase();
  return LANGUAGES.find((language) => language === primary);
}

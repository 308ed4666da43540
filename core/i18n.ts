// Learner-facing text: French first, English always available (`--lang en`, `?lang=en`).
export type Lang = 'fr' | 'en'

export interface Localized {
  readonly fr: string
  readonly en: string
}

export const isLang = (v: unknown): v is Lang => v === 'fr' || v === 'en'

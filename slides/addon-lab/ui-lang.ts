// The language of the lab components' own words (the decks stay in French): `?lang=en` on the course map or a deck
// switches it, and it is remembered for the tab because Slidev's router drops the query string between slides.
import { isLang, type Lang, type Localized } from '../../core/i18n.ts'
import { browserSession, type KeyValueStore } from './lab-client.ts'

export const LANG_STORAGE_KEY = 'smtp-tls-lab.lang'

export function captureLang(search: string, storage: KeyValueStore | undefined): Lang {
  const fromUrl = new URLSearchParams(search).get('lang')
  if (isLang(fromUrl)) {
    try { storage?.setItem(LANG_STORAGE_KEY, fromUrl) } catch { /* storage disabled: this page still has it */ }
    return fromUrl
  }
  try {
    const kept = storage?.getItem(LANG_STORAGE_KEY)
    return isLang(kept) ? kept : 'fr'
  } catch {
    return 'fr'
  }
}

export function browserLang(): Lang {
  if (typeof window === 'undefined') return 'fr'
  return captureLang(window.location.search, browserSession())
}

/** Picks one language of a table of texts written in both. */
export function pick<T extends Record<string, Localized>>(table: T, lang: Lang): { readonly [K in keyof T]: string } {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v[lang]])) as { [K in keyof T]: string }
}

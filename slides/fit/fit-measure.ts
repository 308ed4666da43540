// What "a slide fits" means, measured in the browser: content inside the frame, no code cut sideways, text large enough.
// `measureShownSlide` runs inside the page (page.evaluate): it must stay self-contained, with no imports or closures.

export interface FitProblem {
  readonly kind: 'overflow' | 'code-cut' | 'small-text'
  /** A short CSS-ish path to the element, and what was found. */
  readonly where: string
  readonly detail: string
}

export interface SlideFit {
  readonly no: number
  readonly title: string
  /** Rendered pixels per slide pixel (the canvas is 980 px wide). */
  readonly scale: number
  readonly problems: FitProblem[]
  /** Smallest rendered text size on the slide, in screen pixels. */
  readonly minTextPx: number
}

export interface MeasureOptions {
  /** Fail text rendered smaller than this (screen px); 0 disables the check. */
  readonly minTextPx: number
  /** Pixels of tolerance for sub-pixel rounding. */
  readonly tolerance: number
}

/** Runs in the page. Measures the slide Slidev shows (the one `.slidev-page` that is displayed). */
export function measureShownSlide(opts: MeasureOptions): Omit<SlideFit, 'no'> & { readonly no: number } {
  const pages = Array.from(document.querySelectorAll<HTMLElement>('.slidev-page'))
  const pageEl = pages.find((e) => getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0)
  if (!pageEl) return { no: -1, title: '', scale: 0, problems: [{ kind: 'overflow', where: 'page', detail: 'no slide shown' }], minTextPx: 0 }
  const no = Number(/slidev-page-(\d+)/.exec(pageEl.className)?.[1] ?? -1)
  const frame = pageEl.getBoundingClientRect()
  const content = pageEl.closest<HTMLElement>('.slidev-slide-content') ?? pageEl
  const scale = frame.width / (content.offsetWidth || frame.width)
  const title = (pageEl.querySelector('h1')?.textContent ?? '').trim()
  const problems: FitProblem[] = []
  const t = opts.tolerance

  const describe = (e: Element): string => {
    const parts: string[] = []
    let cur: Element | null = e
    for (let i = 0; cur && cur !== pageEl && i < 3; i++, cur = cur.parentElement) {
      const cls = typeof cur.className === 'string' ? cur.className.split(/\s+/).filter(Boolean).slice(0, 2).join('.') : ''
      parts.unshift(cur.tagName.toLowerCase() + (cls ? `.${cls}` : ''))
    }
    const text = (e.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 50)
    return `${parts.join(' > ')}${text ? ` "${text}"` : ''}`
  }
  const hidden = (e: Element): boolean => {
    const s = getComputedStyle(e)
    return s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0
  }
  /** Inside a box that scrolls or clips on purpose (results list, terminal): its children are not the slide's. */
  const clippedBy = (e: Element): Element | null => {
    const up = (x: Element): Element | null => x.parentElement ?? ((x.parentNode as ShadowRoot | null)?.host ?? null)
    for (let cur = up(e); cur && cur !== pageEl; cur = up(cur)) {
      const s = getComputedStyle(cur)
      if (/(auto|scroll|hidden|clip)/.test(s.overflowX + s.overflowY)) return cur
    }
    return null
  }

  // Slidev draws mermaid diagrams in shadow roots: walk into them.
  const roots: Array<Element | ShadowRoot> = [pageEl]
  const all: Element[] = []
  for (let i = 0; i < roots.length; i++) {
    for (const e of Array.from((roots[i] as Element).querySelectorAll('*'))) {
      all.push(e)
      if (e.shadowRoot) roots.push(e.shadowRoot)
    }
  }
  let minTextPx = Infinity
  for (const e of all) {
    if (hidden(e)) continue
    // The terminal draws its own rows; what matters is its box.
    if (e.closest('.xterm') && !e.classList.contains('xterm')) continue
    const r = e.getBoundingClientRect()
    if (r.width === 0 && r.height === 0) continue
    if (!clippedBy(e)) {
      const out = [frame.left - r.left, r.right - frame.right, frame.top - r.top, r.bottom - frame.bottom].map((x) => Math.round(x))
      if (out.some((x) => x > t)) {
        problems.push({ kind: 'overflow', where: describe(e), detail: `outside the frame by ${Math.max(...out)} px (left ${out[0]}, right ${out[1]}, top ${out[2]}, bottom ${out[3]})` })
      }
    }
    if (e.tagName === 'PRE' || e.tagName === 'CODE') {
      const el = e as HTMLElement
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
        problems.push({ kind: 'code-cut', where: describe(e), detail: `code ${el.scrollWidth - el.clientWidth} px wider than its box (scrolls sideways)` })
      }
    }
  }
  // Text size: every visible text node, at the size it is drawn (CSS transforms and SVG scaling included).
  const texts: Node[] = []
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push(n)
  }
  for (const n of texts) {
    if (!(n.textContent ?? '').trim()) continue
    const parent = n.parentElement
    if (!parent || hidden(parent) || parent.closest('.xterm, style, script, .katex-mathml')) continue
    const cs = getComputedStyle(parent)
    const fontPx = parseFloat(cs.fontSize)
    let drawn = fontPx * scale
    const svgText = parent.closest('svg')
    if (svgText && parent instanceof SVGGraphicsElement) {
      const bb = parent.getBBox()
      const rr = parent.getBoundingClientRect()
      if (bb.height > 0) drawn = fontPx * (rr.height / bb.height)
    } else if (parent instanceof HTMLElement && parent.offsetWidth > 0) {
      drawn = fontPx * (parent.getBoundingClientRect().width / parent.offsetWidth)
    } else continue
    minTextPx = Math.min(minTextPx, drawn)
    if (opts.minTextPx > 0 && drawn < opts.minTextPx - 0.05) {
      problems.push({ kind: 'small-text', where: describe(parent), detail: `text drawn at ${drawn.toFixed(1)} px (${cs.fontSize} in the slide)` })
    }
  }
  // One line per element is enough: a table of 12px cells would otherwise list every cell.
  const seen = new Set<string>()
  const unique = problems.filter((p) => {
    const k = `${p.kind}|${p.where.replace(/ ".*$/, '')}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
  return { no, title, scale, problems: unique, minTextPx: Number.isFinite(minTextPx) ? minTextPx : 0 }
}

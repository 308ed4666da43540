// The deck's side of the class view, on a class server only (`class start`): one /ws/class socket per tab that
// reconnects by itself; the presenter's view sends its slide (and the exercise of the check panel on it) and shows
// the class grid; a learner who opted in to "follow the presenter" is moved to the presenter's slide.
import { reactive } from 'vue'
import { API, WS, type ClassServerMessage, type ClassSnapshot, type HealthResponse, type PresenterSlide } from '../../core/lab-protocol.ts'

export const FOLLOW_STORAGE_KEY = 'smtp-tls-lab.follow'

export const classState = reactive({
  classroom: false,
  connected: false,
  snapshot: null as ClassSnapshot | null,
  following: false,
})

/** The deck's name in /decks/<name>/…, or '' outside a served deck. */
export function deckName(pathname: string): string {
  return /^\/decks\/([^/]+)\//.exec(pathname)?.[1] ?? ''
}

/** Slide number and whether this is the presenter view, from the router path (/3, /presenter/3). */
export function slideOf(routePath: string): { slide: number; presenter: boolean } {
  const m = /^\/(presenter\/)?(\d+)/.exec(routePath)
  return { slide: m ? Number(m[2]) : 1, presenter: m?.[1] !== undefined }
}

/** The exercise of the check panel visible on the presenter's current slide (not the next-slide preview). */
export function visibleExercise(root: ParentNode): string | null {
  const main = root.querySelector('.grid-section.main') ?? root
  for (const el of Array.from(main.querySelectorAll<HTMLElement>('.check-panel[data-exercise]'))) {
    if (el.offsetParent !== null) return el.dataset.exercise ?? null
  }
  return null
}

export interface ClassLinkOptions {
  /** Where to move when following; receives the slide number. */
  go(slide: number): void
  currentPath(): string
}

let socket: WebSocket | null = null
let lastSent = ''

export function sendSlide(slide: PresenterSlide): void {
  const text = JSON.stringify({ type: 'slide', slide })
  if (text === lastSent) return
  lastSent = text
  if (socket?.readyState === WebSocket.OPEN) socket.send(text)
}

export async function startClassLink(opts: ClassLinkOptions): Promise<void> {
  if (typeof window === 'undefined') return
  try {
    const res = await fetch(API.health)
    const health = (await res.json()) as HealthResponse
    if (!health.classroom) return
  } catch {
    return
  }
  classState.classroom = true
  try {
    classState.following = window.localStorage.getItem(FOLLOW_STORAGE_KEY) === '1'
  } catch {
    classState.following = false
  }
  let delay = 500
  const connect = (): void => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WS.class}`)
    socket = ws
    ws.onopen = () => {
      classState.connected = true
      delay = 500
      // A reconnected presenter tells the server again where it stands.
      if (lastSent) ws.send(lastSent)
    }
    ws.onmessage = (e) => {
      let msg: ClassServerMessage
      try {
        msg = JSON.parse(String(e.data)) as ClassServerMessage
      } catch {
        return
      }
      if (msg.type === 'snapshot') classState.snapshot = msg.snapshot
      else if (msg.type === 'follow' && classState.following && msg.slide.deck === deckName(location.pathname)) {
        if (slideOf(opts.currentPath()).slide !== msg.slide.slide) opts.go(msg.slide.slide)
      }
    }
    ws.onclose = (e) => {
      classState.connected = false
      socket = null
      // 4401: no class credential in this browser; retrying cannot help.
      if (e.code === 4401) return
      setTimeout(connect, delay)
      delay = Math.min(delay * 2, 5_000)
    }
  }
  connect()
}

export function setFollowing(on: boolean): void {
  classState.following = on
  try {
    window.localStorage.setItem(FOLLOW_STORAGE_KEY, on ? '1' : '0')
  } catch {
    // Storage disabled: the choice lasts for this page.
  }
}

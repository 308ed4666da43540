// Runs once when the deck starts: keep the learner's token before the router rewrites the URL, and on a class server
// open the class link (follow the presenter; the presenter's slide and check panel sent to the class view).
import { defineAppSetup } from '@slidev/types'
import { browserToken } from '../lab-client.ts'
import { deckName, sendSlide, slideOf, startClassLink, visibleExercise } from '../class-link.ts'

export default defineAppSetup(({ router }) => {
  browserToken()
  if (typeof window === 'undefined') return
  const report = (): void => {
    const here = slideOf(router.currentRoute.value.path)
    if (!here.presenter) return
    // The slide renders after the route changes: read its check panel once it is there.
    setTimeout(() => sendSlide({ deck: deckName(location.pathname), slide: here.slide, exercise: visibleExercise(document) }), 400)
  }
  void startClassLink({
    go: (slide) => void router.push(`/${slide}`),
    currentPath: () => router.currentRoute.value.path,
  }).then(report)
  router.afterEach(() => report())
})

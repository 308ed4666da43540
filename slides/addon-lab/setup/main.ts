// Runs once when the deck starts: keep the learner's token before the router rewrites the URL.
import { defineAppSetup } from '@slidev/types'
import { browserToken } from '../lab-client.ts'

export default defineAppSetup(() => {
  browserToken()
})

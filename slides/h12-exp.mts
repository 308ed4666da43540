import { exportDeck } from './deck-export.ts'
import { listDecks, selectDecks } from './deck-build.ts'
for (const notes of [false, true]) {
  const [d] = selectDecks(listDecks(), '01')
  const r = await exportDeck(d!, { outDir: '/tmp/h12-fit/pdf', notes, log: (s) => process.stderr.write(s) })
  console.log(JSON.stringify(r))
}
process.exit(0)

// Postfix attack lab 3: the mail host's own firewall (doc 002 §Firewall), probed from the attacker and the toolbox.
import { defineExercise } from '../define.ts'
import firewallPorts from './checks/firewall-ports.ts'

export default defineExercise({
  id: 'postfix-firewall-ports',
  lab: 'postfix',
  title: { fr: 'Pare-feu : n’ouvrir que 25, 587 et 465', en: 'Firewall: open only 25, 587 and 465' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [
    { service: 'toolbox', script: 'shared:attacker-dns.sh' },
    { service: 'mail', script: 'shared:postfix-submission.sh' },
    { service: 'mail', script: './setup.sh' },
  ],
  solution: './solve.sh',
  // The answer is the kernel's ruleset in the mail host's network namespace, which no handed-in file carries:
  // `grade` refuses this exercise and the lab's own checks grade it, live.
  submission: [],
  localChecks: [firewallPorts],
  checks: [{ id: 'attack.firewall.ports', target: { service: 'mail' } }],
  hints: [
    {
      fr: 'Voyez ce qu’un attaquant voit : depuis la toolbox, `curl -s -X POST "http://attacker.lab.test:8080/probe?ports=22,25,465,587,10025"` ; sur mail, `postconf -M | grep \' inet \'` liste les services réseau de Postfix.',
      en: 'See what an attacker sees: from the toolbox, `curl -s -X POST "http://attacker.lab.test:8080/probe?ports=22,25,465,587,10025"`; on mail, `postconf -M | grep \' inet \'` lists Postfix’s network services.',
    },
    {
      fr: '`ufw status verbose` montre la politique par défaut et les règles ; `nft list ruleset` montre ce que le noyau applique vraiment.',
      en: '`ufw status verbose` shows the default policy and the rules; `nft list ruleset` shows what the kernel really applies.',
    },
    {
      fr: 'Un port « fermé » (RST) n’est pas un port filtré : sans politique par défaut « deny », le pare-feu ne protège pas ce qu’on lancera demain.',
      en: 'A "closed" port (RST) is not a filtered one: without a default "deny" policy, the firewall does not protect what will be started tomorrow.',
    },
  ],
})

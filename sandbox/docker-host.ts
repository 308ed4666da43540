// Docker engine endpoints as Docker names them (unix://, tcp:// with TLS, ssh://, or a Docker context), turned into
// dockerode options: what `--docker-host` accepts.
import { createHash, createHmac } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import path from 'node:path'
import type Docker from 'dockerode'
import { UserError } from '../core/errors.ts'

export const LOCAL_SOCKET = '/var/run/docker.sock'

export interface DockerEndpoint {
  /** The endpoint as Docker writes it: unix:///path, tcp://host:port, ssh://user@host:port. */
  readonly url: string
  readonly kind: 'unix' | 'tcp' | 'ssh'
  /** On this machine (a unix socket): its free memory is also bounded by what this machine has available. */
  readonly local: boolean
  readonly options: Docker.DockerOptions
  /** Where the TLS files of a tcp:// endpoint were read from. */
  readonly certDir?: string
}

type Env = Readonly<Record<string, string | undefined>>

const dockerConfigDir = (env: Env): string => env['DOCKER_CONFIG'] || path.join(homedir(), '.docker')

/** The endpoint of the engine used when no --docker-host is given: DOCKER_HOST, else the local socket. */
export function defaultEndpoint(env: Env = process.env): DockerEndpoint {
  return parseDockerHost(env['DOCKER_HOST'] || `unix://${LOCAL_SOCKET}`, env)
}

/**
 * Reads an endpoint. tcp:// must come with TLS client files (ca.pem, cert.pem, key.pem), from the Docker
 * context's TLS folder, or DOCKER_CERT_PATH, or ~/.docker, as the docker CLI looks for them: a plain-TCP Docker API
 * gives root on its machine to anyone who reaches the port, so it is refused. A bare name is a Docker context
 * (`docker context create NAME --docker host=…`).
 */
export function parseDockerHost(spec: string, env: Env = process.env): DockerEndpoint {
  const s = spec.trim()
  if (s.startsWith('unix://')) {
    const socketPath = s.slice('unix://'.length)
    if (!socketPath.startsWith('/')) throw new UserError(`--docker-host ${s}: a unix socket needs an absolute path (unix:///run/docker.sock)`)
    return { url: `unix://${socketPath}`, kind: 'unix', local: true, options: { socketPath } }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    let u: URL
    try {
      u = new URL(s)
    } catch {
      throw new UserError(`--docker-host ${s}: not an address Docker would accept (unix:///path, tcp://host:2376, ssh://user@host)`)
    }
    if (u.protocol === 'tcp:') return tcpEndpoint(u, env['DOCKER_CERT_PATH'] || dockerConfigDir(env))
    if (u.protocol === 'ssh:') return sshEndpoint(u, env)
    throw new UserError(`--docker-host ${s}: unsupported scheme ${u.protocol} (unix://, tcp:// with TLS, ssh://)`)
  }
  return contextEndpoint(s, env)
}

function tcpEndpoint(u: URL, certDir: string): DockerEndpoint {
  const port = Number(u.port || '2376')
  const files = ['ca.pem', 'cert.pem', 'key.pem'].map((f) => path.join(certDir, f))
  const missing = files.filter((f) => !existsSync(f))
  if (missing.length)
    throw new UserError(
      `--docker-host tcp://${u.hostname}:${port} needs TLS client files, missing: ${missing.join(', ')} ` +
        '(set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem, or use a Docker context). ' +
        'A Docker API over plain TCP gives root on that machine to whoever reaches the port: it is refused.',
    )
  const [ca, cert, key] = files.map((f) => readFileSync(f))
  return {
    url: `tcp://${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${port}`,
    kind: 'tcp',
    local: false,
    certDir,
    options: { protocol: 'https', host: u.hostname.replace(/^\[|\]$/g, ''), port, ca, cert, key },
  }
}

function sshEndpoint(u: URL, env: Env): DockerEndpoint {
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const port = Number(u.port || '22')
  const username = decodeURIComponent(u.username) || env['USER'] || userInfo().username
  const knownHosts = path.join(homedir(), '.ssh', 'known_hosts')
  const keyFile = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => path.join(homedir(), '.ssh', k)).find((f) => existsSync(f))
  if (!env['SSH_AUTH_SOCK'] && !keyFile)
    throw new UserError(`--docker-host ssh://${username}@${host}: no ssh-agent (SSH_AUTH_SOCK) and no key in ~/.ssh (id_ed25519, id_ecdsa, id_rsa)`)
  const sshOptions: Record<string, unknown> = {
    // docker-modem runs `docker system dial-stdio` on the remote machine over this connection, as the docker CLI does.
    ...(env['SSH_AUTH_SOCK'] ? { agent: env['SSH_AUTH_SOCK'] } : {}),
    ...(keyFile ? { privateKey: readFileSync(keyFile) } : {}),
    // ssh2 accepts any host key unless told otherwise: check it against known_hosts, as ssh would.
    hostVerifier: (key: Buffer) => knownHostAccepts(existsSync(knownHosts) ? readFileSync(knownHosts, 'utf8') : '', host, port, key),
    readyTimeout: 10_000,
  }
  return {
    url: `ssh://${username}@${host.includes(':') ? `[${host}]` : host}${port === 22 ? '' : `:${port}`}`,
    kind: 'ssh',
    local: false,
    options: { protocol: 'ssh', host, port, username, sshOptions } as Docker.DockerOptions,
  }
}

/**
 * Whether a known_hosts text lists this server key for host:port (plain or hashed names, `[host]:port` off port
 * 22, `!negated` patterns, @revoked keys refused). Wildcards and @cert-authority lines are not supported: they
 * never match, so such a host is refused rather than trusted.
 */
export function knownHostAccepts(text: string, host: string, port: number, key: Buffer): boolean {
  const name = port === 22 ? host : `[${host}]:${port}`
  const b64 = key.toString('base64')
  let accepted = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const fields = line.split(/\s+/)
    const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined
    const [patterns, , keyB64] = fields
    if (!patterns || !keyB64 || marker === '@cert-authority') continue
    if (!hostMatches(patterns, name)) continue
    if (keyB64 !== b64) continue
    if (marker === '@revoked') return false
    accepted = true
  }
  return accepted
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|')
    if (!salt || !hash) return false
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash
  }
  let hit = false
  for (const p of patterns.split(',')) {
    if (p.startsWith('!') && p.slice(1) === name) return false
    if (p === name) hit = true
  }
  return hit
}

/** A Docker context (`~/.docker/contexts/meta/<sha256 of its name>/meta.json`, TLS files beside under tls/). */
function contextEndpoint(name: string, env: Env): DockerEndpoint {
  const id = createHash('sha256').update(name).digest('hex')
  const base = path.join(dockerConfigDir(env), 'contexts')
  const metaFile = path.join(base, 'meta', id, 'meta.json')
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/.test(name) || !existsSync(metaFile))
    throw new UserError(`--docker-host ${name}: neither an address (unix:///path, tcp://host:2376, ssh://user@host) nor a Docker context (\`docker context ls\`)`)
  let host: string | undefined
  try {
    host = (JSON.parse(readFileSync(metaFile, 'utf8')) as { Endpoints?: { docker?: { Host?: string } } }).Endpoints?.docker?.Host
  } catch (err) {
    throw new UserError(`Docker context ${name}: ${metaFile} is unreadable (${(err as Error).message})`)
  }
  if (!host) throw new UserError(`Docker context ${name} has no Docker endpoint (${metaFile})`)
  const tlsDir = path.join(base, 'tls', id, 'docker')
  if (host.startsWith('tcp://')) return tcpEndpoint(new URL(host), existsSync(tlsDir) ? tlsDir : env['DOCKER_CERT_PATH'] || dockerConfigDir(env))
  if (!host.startsWith('unix://') && !host.startsWith('ssh://')) throw new UserError(`Docker context ${name}: unsupported endpoint ${host}`)
  return parseDockerHost(host, env)
}

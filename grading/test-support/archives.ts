// Builds tar and zip archives byte by byte for tests, including the hostile ones no archiver would write.
import { crc32, deflateRawSync, gzipSync } from 'node:zlib'
import { Header } from 'tar'

export interface TarItem {
  readonly path: string
  readonly type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO'
  readonly content?: string | Buffer
  readonly mode?: number
  readonly linkpath?: string
  /** Size written in the header when it must differ from the content (a lying header). */
  readonly size?: number
  /** Owner names written in the header (uname, gname), as GNU tar does. */
  readonly uname?: string
  readonly gname?: string
}

export function tarArchive(items: readonly TarItem[], opts: { trailingZeros?: number } = {}): Buffer {
  const parts: Buffer[] = []
  for (const it of items) {
    const content = typeof it.content === 'string' ? Buffer.from(it.content) : (it.content ?? Buffer.alloc(0))
    const type = it.type ?? 'File'
    const header = Buffer.alloc(512)
    new Header({
      path: it.path,
      mode: it.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      uid: 1000,
      gid: 1000,
      size: it.size ?? (type === 'File' ? content.length : 0),
      mtime: new Date('2026-01-01T00:00:00Z'),
      type,
      ...(it.linkpath ? { linkpath: it.linkpath } : {}),
      ...(it.uname !== undefined ? { uname: it.uname } : {}),
      ...(it.gname !== undefined ? { gname: it.gname } : {}),
      ...(type === 'CharacterDevice' || type === 'BlockDevice' ? { devmaj: 1, devmin: 3 } : {}),
    }).encode(header, 0)
    parts.push(header)
    if (type === 'File' && content.length) {
      parts.push(content, Buffer.alloc((512 - (content.length % 512)) % 512))
    }
  }
  parts.push(Buffer.alloc(1024 + (opts.trailingZeros ?? 0)))
  return Buffer.concat(parts)
}

export const gzip = (b: Buffer): Buffer => gzipSync(b, { level: 9 })

export interface ZipItem {
  readonly name: string
  readonly content?: string | Buffer
  /** Full Unix st_mode (type bits + permissions); absent = an archive made on a system without Unix modes. */
  readonly unixMode?: number
  readonly deflate?: boolean
  /** Uncompressed size written in the headers when it must differ from the content (a lying header). */
  readonly declaredSize?: number
  readonly encrypted?: boolean
}

/** A minimal PKZIP writer (no zip64, no data descriptors): enough to express every case the intake refuses. */
export function zipArchive(items: readonly ZipItem[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const it of items) {
    const data = typeof it.content === 'string' ? Buffer.from(it.content) : (it.content ?? Buffer.alloc(0))
    const body = it.deflate ? deflateRawSync(data) : data
    const name = Buffer.from(it.name, 'utf8')
    const crc = crc32(data)
    const size = it.declaredSize ?? data.length
    const method = it.deflate ? 8 : 0
    const flags = 0x800 | (it.encrypted ? 1 : 0)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt32LE(0, 10)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(size, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    locals.push(local, name, body)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(it.unixMode === undefined ? 20 : (3 << 8) | 20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(flags, 8)
    central.writeUInt16LE(method, 10)
    central.writeUInt32LE(0, 12)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(body.length, 20)
    central.writeUInt32LE(size, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(it.unixMode === undefined ? 0 : ((it.unixMode & 0xffff) << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)
    offset += local.length + name.length + body.length
  }
  const cd = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(items.length, 8)
  end.writeUInt16LE(items.length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, end])
}

// Errors shared by every folder. A UserError is one the user can act on: printed without a stack trace, with an exit code.
export class UserError extends Error {
  readonly userFacing = true
  constructor(message: string, readonly exitCode = 2) {
    super(message)
    this.name = 'UserError'
  }
}

// Moved to core/errors.ts (every folder imports it from there); this alias only keeps in-flight imports compiling.
export { UserError } from '../core/errors.ts'

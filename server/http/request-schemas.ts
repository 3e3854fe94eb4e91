/**
 * What the HTTP API takes, as schemas (sim/schema): the JSON bodies and the query of an image upload. Each route
 * parses its input through one of these; a value that does not fit is 400 BAD_REQUEST naming the field.
 */
import { SchemaError, bool, int, object, optional, str, type Infer, type Schema } from '../../sim/schema/schema.js';
import { HttpError } from './http-error.js';

/** A file name in the guests folder (the registry checks it is a bare name of a regular file). */
const fileName = str({ max: 255 });
const bootargs = str({ max: 4096 });
const ramMib = int(1, 1 << 20);

/** A query parameter that stands for an integer ("128"). */
function intText(inner: Schema<number>): Schema<number> {
  return {
    ...inner,
    parse: (v) => {
      if (typeof v !== 'string' || !/^\d{1,9}$/.test(v)) throw new SchemaError([], 'must be a whole number');
      return inner.parse(Number(v));
    },
  };
}

/** A query parameter that stands for a boolean: true/false or 1/0. */
const boolText: Schema<boolean> = {
  ...bool(),
  parse: (v) => {
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new SchemaError([], 'must be true, false, 1 or 0');
  },
};

/** POST /v1/vms with a JSON description: a guest of the guests folder. */
export const createVmJson = object({
  guest: fileName, ramMib: optional(ramMib), bootargs: optional(bootargs), initrd: optional(fileName), record: optional(bool()),
});

/** POST /v1/vms with the image as the body: the query's fields. */
export const createVmQuery = object({
  name: optional(fileName), ramMib: optional(intText(ramMib)), bootargs: optional(bootargs), initrd: optional(fileName),
  record: optional(boolText),
});

/** POST /v1/replays. */
export const replayJson = object({ recording: str({ min: 1, max: 255 }) });

/** `value` checked against `schema`, or 400 BAD_REQUEST saying which field is wrong (and `hint` when one is missing). */
export function parseRequest<S extends Schema<unknown>>(schema: S, value: unknown, hint = ''): Infer<S> {
  try {
    return schema.parse(value) as Infer<S>;
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    const missing = e.problem === 'is missing' && hint !== '' ? ` (${hint})` : '';
    throw new HttpError(400, 'BAD_REQUEST', `${e.segments.length === 0 ? `the ${e.problem.startsWith('must be a map') ? 'body' : 'request'} ${e.problem}` : e.message}${missing}`);
  }
}

/**
 * One entry of the error catalog. `name` is permanent (tests and logs key on it); `message` says what
 * happened and why; `hint` says what the person should do next.
 */
export interface ErrorDefinition<Args> {
  name: string;
  title: string;
  message: (args: Args) => string;
  hint: (args: Args) => string;
  /** HTTP status when this error reaches an API client. */
  status?: number;
}

export class LabError<Args = unknown> extends Error {
  readonly definition: ErrorDefinition<Args>;
  readonly args: Args;
  readonly hint: string;
  readonly title: string;

  constructor(definition: ErrorDefinition<Args>, args: Args, options?: { cause?: unknown }) {
    super(definition.message(args), options);
    this.name = definition.name;
    this.definition = definition;
    this.args = args;
    this.title = definition.title;
    this.hint = definition.hint(args);
  }

  get status(): number {
    return this.definition.status ?? 500;
  }

  /** The one line a person sees on a terminal: what happened, then what to do. */
  toLine(): string {
    return `${this.message} ${this.hint}`.trim();
  }
}

export function isLabError(err: unknown): err is LabError {
  return err instanceof LabError;
}

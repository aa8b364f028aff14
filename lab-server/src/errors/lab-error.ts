/** The languages every error is written in. English is the default. */
export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

/** What a person reads of an error, in one language. */
export interface ErrorText<Args> {
  title: string;
  /** What happened and why. */
  message: (args: Args) => string;
  /** What the person should do next. */
  hint: (args: Args) => string;
}

/**
 * One entry of the error catalog (errors/catalog.ts). `name` is permanent (tests, logs and API
 * clients key on it); the English text is the entry itself, `fr` the same in French.
 */
export interface ErrorDefinition<Args> extends ErrorText<Args> {
  name: string;
  /** HTTP status when this error reaches an API client. */
  status?: number;
  fr: ErrorText<Args>;
}

export const defineError = <Args>(def: ErrorDefinition<Args>): ErrorDefinition<Args> => def;

/** An error's text in a language (English when the language is not one of ours). */
export function errorText<Args>(
  definition: ErrorDefinition<Args>,
  args: Args,
  lang: Language = 'en',
): { title: string; message: string; hint: string } {
  const text: ErrorText<Args> = lang === 'fr' ? definition.fr : definition;
  return { title: text.title, message: text.message(args), hint: text.hint(args) };
}

/**
 * The language to answer in, from an Accept-Language header (or a `lang` value): French when the
 * person prefers it to English, else English.
 */
export function pickLanguage(header: string | undefined | null): Language {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? '1',
      );
      return { lang: tag.split('-')[0], q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranked)
    if ((LANGUAGES as readonly string[]).includes(r.lang ?? '')) return r.lang as Language;
  return 'en';
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

  /** The error in a language. */
  text(lang: Language): { title: string; message: string; hint: string } {
    return errorText(this.definition, this.args, lang);
  }

  /** The body an API client gets: the permanent name, then the text in its language. */
  body(lang: Language): { error: string; message: string; hint: string } {
    const { message, hint } = this.text(lang);
    return { error: this.name, message, hint };
  }

  /** The one line a person sees on a terminal: what happened, then what to do. */
  toLine(): string {
    return `${this.message} ${this.hint}`.trim();
  }
}

export function isLabError(err: unknown): err is LabError {
  return err instanceof LabError;
}

import type { CollectionEntry } from 'astro:content';
import { getCollection } from 'astro:content';
import type { GetStaticPaths } from 'astro';
import { findTrack, TRACKS, type Track } from '../data/tracks.ts';
import type { LessonData } from '../schemas/lesson.ts';

export type Locale = 'en' | 'fr';
export type LessonEntry = CollectionEntry<'docs'> & { data: LessonData & CollectionEntry<'docs'>['data'] };

/** The lesson id the lab server knows (checks, progress): the English path, without a locale folder. */
export function lessonId(entryId: string): string {
  return entryId.replace(/^fr\//, '');
}

export function localeOf(entryId: string): Locale {
  return entryId.startsWith('fr/') ? 'fr' : 'en';
}

/** Site path of a lesson in a locale: /images/dockerfile-basics/ or /fr/images/dockerfile-basics/. */
export function lessonHref(id: string, locale: Locale): string {
  return `${locale === 'fr' ? '/fr' : ''}/${lessonId(id)}/`;
}

export function trackHref(track: string, locale: Locale): string {
  return `${locale === 'fr' ? '/fr' : ''}/${track}/`;
}

export function homeHref(locale: Locale): string {
  return locale === 'fr' ? '/fr/' : '/';
}

/**
 * Every lesson in a locale, in course order (track, then order). A lesson not translated yet appears
 * in English (Starlight shows it with a note at /fr/...).
 */
export async function lessonsFor(locale: Locale): Promise<LessonEntry[]> {
  const all = (await getCollection('docs')) as LessonEntry[];
  const english = all.filter((e) => localeOf(e.id) === 'en');
  const translated = new Map(all.filter((e) => localeOf(e.id) === locale).map((e) => [lessonId(e.id), e]));
  const pick = (e: LessonEntry) => (locale === 'en' ? e : (translated.get(e.id) ?? e));
  const trackIndex = (t: string) => TRACKS.findIndex((x) => x.id === t);
  return english
    .filter((e) => !e.data.draft)
    .sort(
      (a, b) =>
        trackIndex(a.data.track) - trackIndex(b.data.track) ||
        a.data.order - b.data.order ||
        a.id.localeCompare(b.id),
    )
    .map(pick);
}

/** The pages of the tracks, in either locale (pages/[track]/ and pages/fr/[track]/): one a track. */
export const trackPaths = (() =>
  TRACKS.map((track) => ({ params: { track: track.id }, props: { track } }))) satisfies GetStaticPaths;

export function trackTitle(track: Track, locale: Locale): string {
  return track.title[locale];
}

export { findTrack, TRACKS };

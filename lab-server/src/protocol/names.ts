/**
 * Names both sides of the lab's API agree on. Plain constants and regular expressions, no schema
 * library: the browser imports this file, and every byte of it counts in its budget.
 */

/** A session id: 128 random bits as 32 hexadecimal characters (sessions made before were 16). */
export const SESSION_ID = /^[0-9a-f]{16}(?:[0-9a-f]{16})?$/;

/** Node names are node1, node2, ...: the hostname, the prompt and the tab label. */
export const NODE_NAME = /^node[1-9]\d?$/;
export const nodeName = (index: number) => `node${index + 1}`;

/** A browser tab's id for its terminal (reconnecting with it reattaches to the same shell). */
export const TAB_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The HttpOnly cookie that holds a learner's secret token (API clients send it as a bearer token). */
export const TOKEN_COOKIE = 'dockside_token';

/** A lesson's content id: its path under lessons/ without the extension (images/dockerfile-basics). */
export const LESSON_ID = /^[a-z0-9][a-z0-9/_-]{0,120}$/;
/** An exercise's id within its lesson. */
export const EXERCISE_ID = /^[a-z0-9][a-z0-9_-]{0,60}$/;

import type { ErrorDefinition } from '../errors/lab-error.ts';

// The preview proxy's refusals, in the shape of the error catalog (errors/catalog.ts): a learner sees
// them as a page in the tab where the preview was meant to be, so each says what to do next.

const define = <Args>(def: ErrorDefinition<Args>): ErrorDefinition<Args> => def;

interface Where {
  node: string;
  port: number;
}

export const PreviewNotFound = define<{ address: string }>({
  name: 'PreviewNotFound',
  title: 'No such preview',
  message: ({ address }) =>
    `This preview (${address}) does not exist: its session has ended, or that node is not part of it.`,
  hint: () => 'Open the preview again from the lesson page, which lists the current addresses.',
  status: 404,
});

export const PreviewNothingListening = define<Where>({
  name: 'PreviewNothingListening',
  title: 'Nothing is listening there yet',
  message: ({ node, port }) => `Nothing is listening on port ${port} of ${node} yet.`,
  hint: ({ port }) =>
    `Start a server there (for example docker run -d -p ${port}:80 nginx), then reload this page.`,
  status: 502,
});

export const PreviewNotHttp = define<Where>({
  name: 'PreviewNotHttp',
  title: 'Not a web server',
  message: ({ node, port }) => `The program on port ${port} of ${node} did not answer in HTTP.`,
  hint: () => 'A preview shows web servers; talk to other programs from a terminal instead.',
  status: 502,
});

export const PreviewConnectionClosed = define<Where>({
  name: 'PreviewConnectionClosed',
  title: 'The server hung up',
  message: ({ node, port }) =>
    `The server on port ${port} of ${node} closed the connection without answering.`,
  hint: () => 'It may have crashed or be restarting: look at its logs (docker logs <container>) and reload.',
  status: 502,
});

export const PreviewUnreachable = define<Where & { reason: string }>({
  name: 'PreviewUnreachable',
  title: 'The node cannot be reached',
  message: ({ node, port, reason }) => `Port ${port} of ${node} cannot be reached (${reason}).`,
  hint: ({ node }) => `Check on the lesson page that ${node} is running; restart it if it is not.`,
  status: 502,
});

export const PreviewTimedOut = define<Where & { phase: 'connect' | 'answer'; seconds: number }>({
  name: 'PreviewTimedOut',
  title: 'The preview timed out',
  message: ({ node, port, phase, seconds }) =>
    phase === 'connect'
      ? `Port ${port} of ${node} did not accept a connection within ${seconds} s.`
      : `The server on port ${port} of ${node} accepted the connection but did not answer within ${seconds} s.`,
  hint: () => 'It may be busy or stuck: look at its logs (docker logs <container>), then reload.',
  status: 504,
});

export const PreviewLookupFailed = define<{ address: string }>({
  name: 'PreviewLookupFailed',
  title: 'The preview could not be looked up',
  message: ({ address }) => `The lab server could not look up the preview ${address}.`,
  hint: () => 'Reload in a moment; if it keeps failing, the lab server log says why.',
  status: 500,
});

import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import type { Say } from '../engine/debian-packages.ts';
import { ImageBuildFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { LABEL_LAB, LABEL_RECIPE, LABEL_ROLE } from '../protocol/labels.ts';
import type { PlannedImage } from './image-plan.ts';

interface BuildMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Builds one recipe folder with `docker build`, showing its steps and quoting the output on failure. */
export async function buildDockerfileImage(
  docker: Docker,
  image: PlannedImage,
  options: { extraHosts?: string[]; say: Say },
): Promise<void> {
  const recent: string[] = [];
  const stream = await docker.buildImage(pack(image.recipeDir) as unknown as NodeJS.ReadableStream, {
    t: `${image.tag}:latest`,
    labels: { [LABEL_RECIPE]: image.hash, [LABEL_LAB]: 'dockside', [LABEL_ROLE]: image.role },
    rm: true,
    forcerm: true,
    pull: false,
    ...(options.extraHosts?.length ? { extrahosts: options.extraHosts.join(',') } : {}),
  });
  const failure = await new Promise<string | undefined>((resolve) => {
    let error: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => resolve(error ?? err?.message),
      (msg: BuildMessage) => {
        if (msg.error) error = msg.errorDetail?.message ?? msg.error;
        for (const line of (msg.stream ?? '').split('\n')) {
          const text = line.trim();
          if (!text) continue;
          recent.push(text);
          if (recent.length > 12) recent.shift();
          if (/^Step \d+\/\d+ : /.test(text) && !/ : LABEL org\.dockside/.test(text))
            options.say(`  ${image.tag}: ${text.slice(0, 100)}`);
        }
      },
    );
  });
  if (failure) {
    throw new LabError(ImageBuildFailed, {
      image: image.tag,
      reason: `${failure.trim()}${recent.length ? ` — last output: ${recent.slice(-4).join(' / ')}` : ''}`,
    });
  }
}

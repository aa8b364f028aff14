/** A size as a person reads it: MiB below one GiB, GiB with one decimal above. */
export function formatSize(bytes: number): string {
  if (bytes < 2 ** 30) return `${Math.max(0, Math.round(bytes / 2 ** 20))} MiB`;
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

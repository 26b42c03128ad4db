/**
 * A value that takes time to load (an adapter whose library is large: Google's clients, the mail
 * composer and SES), loaded when it is first asked for rather than at a cold start, then kept.
 * A load that fails is tried again the next time.
 */
export function loadOnFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}

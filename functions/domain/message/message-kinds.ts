/**
 * What a message can be understood as. Its own module so that the stores, which check recorded
 * kinds, do not pull the message-understanding code (and its patterns) into every function.
 */
export const MESSAGE_KINDS = ['intro', 'reply', 'auto_reply', 'bounce', 'bulk', 'calendar', 'not_intro', 'ambiguous'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/**
 * Every message the system sends carries this header (and `Auto-Submitted: auto-generated`), so
 * that a copy that finds its way back to the capture address is recognized and never captured.
 */
export const OUTBOUND_MARKER_HEADER = 'X-Refer-Outbound';

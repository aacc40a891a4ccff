/** This runtime's version: pinned on the executions it starts and the top of its default replay range. */
export const DUROXIDE_VERSION = '0.1.0';

/** Labels the lab puts on what it creates, so it can find (and clean) its own things on any engine. */
export const LABEL_LAB = 'org.dockside.lab';
export const LABEL_RECIPE = 'org.dockside.recipe';
export const LABEL_ROLE = 'org.dockside.role';

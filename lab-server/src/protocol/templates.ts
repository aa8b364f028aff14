/**
 * Sandbox templates, declared as data: how many nodes a lesson's sandbox has and whether they form a
 * Swarm. Lessons name one in their frontmatter.
 */
export interface Template {
  name: string;
  description: string;
  nodes: number;
  /** Swarm formed at creation: the first `managers` nodes are managers, the rest workers. */
  swarm?: { managers: number };
}

export const TEMPLATES: Record<string, Template> = {
  single: { name: 'single', description: 'One node.', nodes: 1 },
  trio: { name: 'trio', description: 'Three independent nodes.', nodes: 3 },
  'swarm-3': {
    name: 'swarm-3',
    description: 'Three nodes in a Swarm: one manager, two workers.',
    nodes: 3,
    swarm: { managers: 1 },
  },
  'swarm-5': {
    name: 'swarm-5',
    description: 'Five nodes in a Swarm: three managers (a quorum that survives one loss), two workers.',
    nodes: 5,
    swarm: { managers: 3 },
  },
  'blank-5': { name: 'blank-5', description: 'Five independent nodes.', nodes: 5 },
};

export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as [string, ...string[]];

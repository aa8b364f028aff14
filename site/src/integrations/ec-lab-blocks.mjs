// @ts-check
/**
 * An Expressive Code plugin that marks code blocks the lab can act on. Written in JavaScript because
 * Expressive Code imports `ec.config.mjs` (and so this file) with Node itself, not through Vite.
 *
 * In MDX:
 *
 *   ```sh run                      a "Run" button types the block into the selected node's terminal
 *   ```sh run node=node2           ... always into node2's terminal
 *   ```dockerfile file=/root/app/Dockerfile
 *                                  a "Create file" button writes the block to that path on node1
 *   ```yaml file=/srv/app.yml node=node3
 *                                  ... on node3
 *
 * `file` also becomes the block's title unless `title` is given. The block gets data attributes
 * (`data-lab-run`, `data-lab-file`, `data-lab-node`) and an empty `.lab-actions` bar that the lesson
 * page's script fills with buttons once JavaScript runs; without JavaScript the block is an ordinary
 * code block with its copy button.
 */

const NODE = /^node[1-9]\d?$/;

/** @returns {import('@astrojs/starlight/expressive-code').ExpressiveCodePlugin} */
export function pluginLabBlocks() {
  return {
    name: 'Dockside lab blocks',
    hooks: {
      preprocessMetadata: ({ codeBlock }) => {
        const { run, file, node } = labOptions(codeBlock);
        const where = `code block starting "${codeBlock.code.split('\n')[0]?.slice(0, 40)}"`;
        if (run && file) {
          throw new Error(
            `The ${where} has both run and file=: a block either runs or is written to a file.`,
          );
        }
        if (file !== undefined && !file.startsWith('/')) {
          throw new Error(
            `file=${file} in the ${where} must be an absolute path on the node (e.g. /root/app/Dockerfile).`,
          );
        }
        if (node !== undefined && !NODE.test(node)) {
          throw new Error(`node=${node} in the ${where} is not a node name (node1, node2, ...).`);
        }
        if (node !== undefined && !run && file === undefined) {
          throw new Error(`node=${node} in the ${where} needs run or file= to mean something.`);
        }
        if (file !== undefined && codeBlock.props.title === undefined) codeBlock.props.title = file;
      },
      postprocessRenderedBlock: ({ codeBlock, renderData }) => {
        const figure = renderData.blockAst;
        // A long line scrolls sideways: keyboard users must be able to focus the block to scroll it.
        focusablePre(figure);
        const { run, file, node } = labOptions(codeBlock);
        if (!run && file === undefined) return;
        figure.properties = {
          ...figure.properties,
          ...(run ? { dataLabRun: '' } : {}),
          ...(file !== undefined ? { dataLabFile: file } : {}),
          ...(node ? { dataLabNode: node } : {}),
        };
        figure.children.push({
          type: 'element',
          tagName: 'div',
          properties: { className: ['lab-actions'], hidden: true, dataPagefindIgnore: '' },
          children: [],
        });
      },
    },
  };
}

/** @param {any} node a HAST element */
function focusablePre(node) {
  if (node.type !== 'element') return;
  if (node.tagName === 'pre') node.properties = { ...node.properties, tabIndex: 0 };
  for (const child of node.children ?? []) focusablePre(child);
}

/** @param {{ metaOptions: { getBoolean(k: string): boolean | undefined; getString(k: string): string | undefined } }} codeBlock */
function labOptions(codeBlock) {
  return {
    run: codeBlock.metaOptions.getBoolean('run') === true,
    file: codeBlock.metaOptions.getString('file'),
    node: codeBlock.metaOptions.getString('node'),
  };
}

// What the diagram pages share: loading a version's XML, marking elements, reporting status.

export function say(el, text) {
  const status = el.querySelector('.diagram-status');
  if (status) status.textContent = text;
}

export async function loadInto(diagram, el) {
  say(el, 'Loading the diagram…');
  try {
    const response = await fetch(el.dataset.xml, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const { warnings } = await diagram.importXML(await response.text());
    const canvas = diagram.get('canvas');
    if (canvas.zoom) canvas.zoom('fit-viewport');
    say(el, warnings.length ? `Drawn, with ${warnings.length} warning(s).` : '');
    return true;
  } catch (err) {
    say(el, /no diagram to display/.test(err.message)
      ? 'This version has no diagram layout: it was written without a modeller.'
      : `The diagram could not be drawn: ${err.message}`);
    return false;
  }
}

export function mark(modeler, ids, marker) {
  const registry = modeler.get('elementRegistry');
  const canvas = modeler.get('canvas');
  for (const id of ids) {
    if (registry.get(id)) canvas.addMarker(id, marker);
  }
}

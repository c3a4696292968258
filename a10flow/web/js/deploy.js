// Deploy what the modeller holds as the next version; show the service's problems on the diagram.

export function deployFrom(modeler, el) {
  const button = el.querySelector('.deploy');
  const problems = el.querySelector('.problems');
  let overlays = [];
  button.disabled = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    problems.replaceChildren();
    const overlayService = modeler.get('overlays', false);
    const canvas = modeler.get('canvas', false);
    for (const o of overlays) overlayService.remove(o.id);
    for (const o of overlays) if (canvas) canvas.removeMarker(o.element, 'a10-problem');
    overlays = [];
    try {
      const { xml } = await modeler.saveXML({ format: true });
      const response = await fetch(el.dataset.deploy, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': el.dataset.csrf },
        body: JSON.stringify({ xml })
      });
      const answer = await response.json();
      if (response.ok) {
        window.location.assign(answer.next);
        return;
      }
      show(answer.problems || [{ message: answer.message || `the server answered ${response.status}` }]);
    } catch (err) {
      show([{ message: err.message }]);
    }
    button.disabled = false;
  });

  function show(list) {
    const registry = modeler.get('elementRegistry');
    const heading = document.createElement('p');
    heading.textContent = `Not deployed: ${list.length} problem(s).`;
    const items = document.createElement('ul');
    for (const p of list) {
      const item = document.createElement('li');
      item.textContent = p.element ? `${p.element}: ${p.message}` : p.message;
      items.append(item);
      if (p.element && registry && registry.get(p.element)) {
        const badge = document.createElement('div');
        badge.className = 'a10-problem-badge';
        badge.title = p.message;
        badge.textContent = '!';
        const id = modeler.get('overlays').add(p.element, { position: { top: -10, right: 10 }, html: badge });
        modeler.get('canvas').addMarker(p.element, 'a10-problem');
        overlays.push({ id, element: p.element });
      }
    }
    problems.replaceChildren(heading, items);
  }
}

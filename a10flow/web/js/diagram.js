// The diagram of a process version, read-only; on an instance page, what is done and what waits.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';

import { loadInto, mark } from './shared.js';

const el = document.getElementById('diagram');
if (el) {
  const viewer = new NavigatedViewer({ container: el.querySelector('.canvas') });
  loadInto(viewer, el).then((ok) => {
    if (!ok) return;
    mark(viewer, JSON.parse(el.dataset.done || '[]'), 'a10-done');
    mark(viewer, JSON.parse(el.dataset.open || '[]'), 'a10-open');
    mark(viewer, JSON.parse(el.dataset.failed || '[]'), 'a10-failed');
  });
}

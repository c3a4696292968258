// Decision tables in the browser: open a DMN version, edit its rules, deploy the next version.
import DmnModeler from 'dmn-js/lib/Modeler';
import 'dmn-js/dist/assets/diagram-js.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn-embedded.css';

import { say } from './shared.js';
import { deployFrom } from './deploy.js';

const el = document.getElementById('dmn');
if (el) {
  const modeler = new DmnModeler({ container: el.querySelector('.canvas') });
  fetch(el.dataset.xml, { credentials: 'same-origin' })
    .then((r) => r.text())
    .then((xml) => modeler.importXML(xml))
    .then(() => {
      const table = modeler.getViews().find((v) => v.type === 'decisionTable');
      if (table) modeler.open(table);
      say(el, '');
      deployFrom(viewerOf(modeler), el);
    })
    .catch((err) => say(el, `The decision table could not be opened: ${err.message}`));
}

// deployFrom wants saveXML and element lookups; a DMN table has no diagram elements to mark.
function viewerOf(modeler) {
  return {
    saveXML: (options) => modeler.saveXML(options),
    get: () => null
  };
}

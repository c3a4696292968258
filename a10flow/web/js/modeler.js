// The modeller: open a version, edit it (forms, candidate groups, assignee, due dates and
// extension properties such as the control id in the properties panel, which offers only what
// a10flow runs: panel.js), deploy it as the next version, and see the service's validation
// problems on the diagram.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camunda from 'camunda-bpmn-moddle/resources/camunda.json';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';

import { loadInto, say } from './shared.js';
import { deployFrom } from './deploy.js';
import A10flowPanelModule from './panel.js';

const el = document.getElementById('modeler');
if (el) {
  const modeler = new BpmnModeler({
    container: el.querySelector('.canvas'),
    propertiesPanel: { parent: el.querySelector('.properties') },
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule, CamundaBehaviorsModule, A10flowPanelModule
    ],
    moddleExtensions: { camunda }
  });
  loadInto(modeler, el).then((ok) => {
    if (ok) deployFrom(modeler, el);
  });
  window.addEventListener('beforeunload', () => say(el, ''));
}

// The properties panel shows what a10flow runs, and nothing else. The Camunda 7 provider offers
// everything Camunda's own engine does (history clean-up, job execution, listeners, follow-up
// dates, priorities...); set here, those would be saved into the diagram and silently ignored,
// or refused at deploy. This provider runs after it and takes them out again.
// What a10flow reads is in the README's "What files it accepts".

// Groups of Camunda 7 features a10flow does not run.
const NOT_RUN_GROUPS = new Set([
  'CamundaPlatform__HistoryCleanup', 'CamundaPlatform__Tasklist', 'CamundaPlatform__ExternalTask',
  'CamundaPlatform__Errors', 'CamundaPlatform__TaskListener', 'CamundaPlatform__ExecutionListener',
  'CamundaPlatform__StartInitiator', 'CamundaPlatform__AsynchronousContinuations',
  'CamundaPlatform__JobExecution', 'CamundaPlatform__InMappingPropagation', 'CamundaPlatform__InMapping',
  'CamundaPlatform__OutMappingPropagation', 'CamundaPlatform__OutMapping', 'CamundaPlatform__BusinessKey',
  'CamundaPlatform__Output', 'CamundaPlatform__ConnectorInput', 'CamundaPlatform__ConnectorOutput',
  'CamundaPlatform__FieldInjection'
]);

// Entries of groups that stay, for features a10flow does not run.
const NOT_RUN_ENTRIES = new Set([
  'followUpDate', 'priority', 'versionTag', 'isStartableInTasklist',
  'multiInstanceAsynchronousBefore', 'multiInstanceAsynchronousAfter', 'multiInstanceExclusive',
  'multiInstanceRetryTimeCycle'
]);

// Input parameters are what an a10flow operator reads (camunda:type="external" with the topic
// "a10flow:notify" and so on); anywhere else they are Camunda's mappings, which a10flow does not run.
function inputsRun(element) {
  const bo = element.businessObject;
  return bo && bo.get && bo.get('camunda:type') === 'external';
}

function runHere(group, element) {
  if (NOT_RUN_GROUPS.has(group.id)) return false;
  if (group.id === 'CamundaPlatform__Input') return inputsRun(element);
  return true;
}

class A10flowPropertiesProvider {
  constructor(propertiesPanel) {
    // Lower than the Camunda provider's 500: called after it, so it sees every group.
    propertiesPanel.registerProvider(100, this);
  }

  getGroups(element) {
    return (groups) => groups.filter((group) => runHere(group, element)).map((group) => {
      if (group.entries) group.entries = group.entries.filter((entry) => !NOT_RUN_ENTRIES.has(entry.id));
      return group;
    }).filter((group) => !group.entries || group.entries.length);
  }
}
A10flowPropertiesProvider.$inject = ['propertiesPanel'];

export default {
  __init__: ['a10flowPropertiesProvider'],
  a10flowPropertiesProvider: ['type', A10flowPropertiesProvider]
};

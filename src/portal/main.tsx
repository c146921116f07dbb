/** Entry of the portal bundle (dist/portal/portal.js), loaded by index.html as a module script. */
import { render } from 'preact';
import { App } from './app.js';
import { readSettings } from './settings.js';

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App settings={readSettings()} />, root);
}

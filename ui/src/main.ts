import { mount } from 'svelte';

import App from './App.svelte';
import { applyTheme, rememberedTheme } from './lib/stores/settings.svelte';
import './app.css';

// The theme chosen last time applies before the first paint; the saved
// app settings confirm it once they load.
applyTheme(rememberedTheme());

const target = document.getElementById('app');
if (!target) {
  throw new Error('index.html has no #app element to mount Ledgerlink into.');
}

export default mount(App, { target });

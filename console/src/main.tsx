// Entry point: mounts the console. Everything it shows comes from signed calls to the API on `/`.

import { render } from 'preact';
import { App } from './app.js';
import './styles.css';

const root = document.getElementById('app');
if (root) render(<App />, root);

/**
 * Every CLI command, in the order `netlab --help` lists them. A command file
 * exports `register(program)`; adding a command is one file and one line here.
 */
import type { Command } from 'commander';
import { register as capture } from './capture.js';
import { register as convert } from './convert.js';
import { register as doctor } from './doctor.js';
import { register as down } from './down.js';
import { register as events } from './events.js';
import { register as exec } from './exec.js';
import { register as graph } from './graph.js';
import { register as image } from './image.js';
import { register as link } from './link.js';
import { register as node } from './node.js';
import { register as save } from './save.js';
import { register as setupUser } from './setup-user.js';
import { register as stats } from './stats.js';
import { register as status } from './status.js';
import { register as ui } from './ui.js';
import { register as up } from './up.js';
import { register as validate } from './validate.js';

export type Register = (program: Command) => void;

export const commands: Register[] = [up, down, status, stats, exec, link, node, capture, events, save, validate, graph, convert, ui, image, doctor, setupUser];

/** An interrupt line: devices raise and lower it without knowing who listens (as TinyEMU's IRQSignal). */
export interface IrqLine {
  set(level: boolean): void;
}

export const NO_IRQ: IrqLine = { set() {} };

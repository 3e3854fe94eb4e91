/**
 * The Linux boot as a service: the real server (its guests folder is guests/linux), the kernel uploaded, the
 * initramfs named from the guests folder, and a remote controller answering every exit with the SDK's device
 * models over WebSocket. The journal the server wrote replays bit-exactly and holds the exits the client saw.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINUX_ALL_PASSED, LINUX_BANNER, LINUX_BOOTARGS, LINUX_INPUT, linuxDir, loadLinuxGuest } from '../../bench/linux-guest.js';
import { RemoteVmm } from '../../client-sdk/index.js';
import { readJournal, replayJournal } from '../../sim/index.js';
import { useTestServer } from '../../server/test-helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const server = useTestServer(['--guests', linuxDir(ROOT)]);

describe('a remote controller boots Linux on the server', () => {
  it('answers the boot over WebSocket to the init and its poweroff; the recording replays', async () => {
    const { client } = server();
    const vm = await client.createVm({ image: loadLinuxGuest(ROOT).image, name: 'Image', bootargs: LINUX_BOOTARGS, initrd: 'initramfs.cpio' });
    await expect(client.createVm({ image: loadLinuxGuest(ROOT).image, initrd: 'missing.cpio' })).rejects.toMatchObject({ code: 'GUEST_NOT_FOUND' });
    const vmm = new RemoteVmm(await client.connect(vm, 'controller'), { input: Buffer.from(LINUX_INPUT) });
    await vmm.run();
    const end = await vmm.ended;
    expect(vmm.console).toContain(LINUX_BANNER);
    expect(vmm.console).toContain(LINUX_ALL_PASSED);
    expect(end.exitCode).toBe(0);
    const journal = readJournal(await client.downloadRecording(vm.recording!));
    expect(journal.header.images.map((i) => i.role)).toEqual(['kernel', 'initrd']);
    expect(vmm.exitsSeen).toBe(journal.exits.length);
    const replay = replayJournal(journal);
    expect(replay.divergence).toBeUndefined();
    expect(replay.ok).toBe(true);
    await vmm.conn.close();
  }, 300_000);
});


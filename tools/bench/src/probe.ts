import { connect, type Socket } from "node:net"

const REQUEST_END = "\r\n\r\n"
const TIMEOUT_MS = 10_000

/**
 * GET `path` again and again over one kept-alive HTTP/1.1 connection, written and read by hand: the
 * lightest client node has (fetch spends ~1 ms of CPU on each request, taken from the cores the server
 * being measured runs on). Only what a probe needs: a status line, headers, a body of Content-Length
 * bytes; a new connection when the server closes one.
 */
export class HealthProbe {
  private socket: Socket | undefined
  private buffered = Buffer.alloc(0)
  private waiting: ((chunk: Buffer | Error) => void) | undefined

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly path: string,
  ) {}

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true })
      socket.once("connect", () => resolve(socket))
      socket.once("error", reject)
      // Only the current connection's events count: a late one from a closed connection is ignored.
      socket.on("data", (chunk: Buffer) => {
        if (this.socket !== socket) return
        this.buffered = Buffer.concat([this.buffered, chunk])
        this.wake(chunk)
      })
      socket.on("close", () => {
        if (this.socket !== socket) return
        this.socket = undefined
        this.wake(new Error("the server closed the probe's connection"))
      })
    })
  }

  private wake(value: Buffer | Error) {
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.(value)
  }

  /** The next bytes; an error if the connection closes first or nothing comes for TIMEOUT_MS. */
  private more(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.wake(new Error(`GET ${this.path} had no answer within ${TIMEOUT_MS} ms`)),
        TIMEOUT_MS,
      )
      this.waiting = (value) => {
        clearTimeout(timer)
        if (value instanceof Error) reject(value)
        else resolve()
      }
    })
  }

  /**
   * One request; resolves with its status once the last byte of the body has arrived. A kept-alive
   * connection the server closed before answering (its idle timeout) is replaced once.
   */
  async get(): Promise<number> {
    const reused = this.socket !== undefined
    try {
      return await this.once()
    } catch (error) {
      if (!reused || this.socket !== undefined || this.buffered.length > 0) throw error
      return this.once()
    }
  }

  private async once(): Promise<number> {
    if (this.socket === undefined) {
      this.buffered = Buffer.alloc(0)
      this.socket = await this.open()
    }
    this.socket.write(`GET ${this.path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n\r\n`)
    let headEnd = this.buffered.indexOf(REQUEST_END)
    while (headEnd < 0) {
      await this.more()
      headEnd = this.buffered.indexOf(REQUEST_END)
    }
    const head = this.buffered.subarray(0, headEnd).toString("latin1")
    const status = Number(head.slice(9, 12))
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN)
    if (!Number.isInteger(status) || !Number.isInteger(length))
      throw new Error(`the probe could not read the answer: ${JSON.stringify(head.slice(0, 200))}`)
    const end = headEnd + REQUEST_END.length + length
    while (this.buffered.length < end) await this.more()
    this.buffered = this.buffered.subarray(end)
    if (/\r\nconnection: *close/i.test(head)) this.close()
    return status
  }

  close() {
    this.socket?.destroy()
    this.socket = undefined
  }
}
